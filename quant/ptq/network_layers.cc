#include "quant/ptq/network_layers.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/layout.h"
#include "nn/conv2d.h"
#include "nn/linear.h"

namespace trit::quant {
namespace {

// A Linear or Conv2d described as a QuantLayer (module and place filled in by the caller);
// false for any other module.
bool describe(const nn::Module& module, QuantLayer& layer) {
  if (const auto* linear = dynamic_cast<const nn::Linear*>(&module)) {
    layer.weight = linear->weight();
    layer.bias = linear->bias();
    layer.n0 = layer.weight.size(1);
  } else if (const auto* conv = dynamic_cast<const nn::Conv2d*>(&module)) {
    layer.weight = conv->weight();
    layer.bias = conv->bias();
    layer.conv = true;
    layer.conv_options = conv->options();
    layer.kernel_h = layer.weight.size(2);
    layer.kernel_w = layer.weight.size(3);
    layer.n0 = layer.weight.size(1) * layer.kernel_h * layer.kernel_w;
  } else {
    return false;
  }
  layer.n1 = layer.weight.size(0);
  return true;
}

void collect_layers(nn::Module& parent, const std::string& prefix,
                    std::vector<QuantLayer>& layers) {
  for (const auto& [name, child] : parent.children()) {
    QuantLayer layer;
    layer.path = prefix.empty() ? name : prefix + "." + name;
    if (!describe(*child, layer)) {
      collect_layers(*child, layer.path, layers);
      continue;
    }
    check(!layer.conv || layer.conv_options.groups == 1, "ptq",
          layer.path + " has groups = " + std::to_string(layer.conv_options.groups) +
              ": grouped convolutions are not supported");
    layer.parent = &parent;
    layer.child = name;
    layer.module = child;
    layers.push_back(std::move(layer));
  }
}

// Stands in for a layer during capture_inputs: keeps each input, then runs the layer.
class InputRecorder : public nn::Module {
 public:
  explicit InputRecorder(std::shared_ptr<nn::Module> layer)
      : Module("InputRecorder"), layer_(std::move(layer)) {}

  Tensor forward(const Tensor& input) override {
    inputs_.push_back(input);
    return (*layer_)(input);
  }
  // The inputs seen since the last call, in order.
  std::vector<Tensor> take() { return std::move(inputs_); }

 private:
  std::shared_ptr<nn::Module> layer_;
  std::vector<Tensor> inputs_;
};

// Swaps layers for recorders and puts everything back (layers and mode) when destroyed.
class RecordingSwap {
 public:
  RecordingSwap(nn::Module& model, const std::vector<QuantLayer>& layers)
      : model_(model), layers_(layers), was_training_(model.is_training()) {
    model.eval();
    for (const QuantLayer& layer : layers) {
      recorders_.push_back(std::make_shared<InputRecorder>(layer.module));
      layer.parent->replace_child(layer.child, recorders_.back());
    }
  }
  ~RecordingSwap() {
    for (size_t k = 0; k < recorders_.size(); ++k)
      layers_[k].parent->replace_child(layers_[k].child, layers_[k].module);
    model_.train(was_training_);
  }
  RecordingSwap(const RecordingSwap&) = delete;
  RecordingSwap& operator=(const RecordingSwap&) = delete;

  InputRecorder& recorder(size_t k) { return *recorders_[k]; }

 private:
  nn::Module& model_;
  const std::vector<QuantLayer>& layers_;
  bool was_training_;
  std::vector<std::shared_ptr<InputRecorder>> recorders_;
};

}  // namespace

std::vector<QuantLayer> quantisable_layers(nn::Module& model) {
  std::vector<QuantLayer> layers;
  collect_layers(model, "", layers);
  return layers;
}

Eigen::MatrixXd weight_matrix(const QuantLayer& layer) {
  // weight viewed as [out, N0] row-major is W^T.
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>
      weight(layer.weight.data(), layer.n1, layer.n0);
  return weight.transpose().cast<double>();
}

void set_weight_matrix(const QuantLayer& layer, const Eigen::MatrixXd& w) {
  check(w.rows() == layer.n0 && w.cols() == layer.n1, "set_weight_matrix",
        layer.path + ": W is [" + std::to_string(w.rows()) + "," + std::to_string(w.cols()) +
            "] but the layer needs [" + std::to_string(layer.n0) + "," + std::to_string(layer.n1) +
            "]");
  NoGradGuard no_grad;
  Tensor weight = layer.weight;
  Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> out(
      weight.data(), layer.n1, layer.n0);
  out = w.transpose().cast<float>();
}

std::vector<Tensor> capture_inputs(nn::Module& model, const std::vector<QuantLayer>& layers,
                                   const Tensor& images, int64_t batch) {
  check(batch >= 1, "capture_inputs", "batch = " + std::to_string(batch) + " < 1");
  const int64_t n = images.dim() ? images.size(0) : 0;
  check(n >= 1, "capture_inputs", "no images (" + to_string(images.shape()) + ")");
  NoGradGuard no_grad;
  RecordingSwap swap(model, layers);
  std::vector<std::vector<Tensor>> pieces(layers.size());
  for (int64_t start = 0; start < n; start += batch) {
    model(slice(images, 0, start, std::min(n, start + batch)));
    for (size_t k = 0; k < layers.size(); ++k) {
      std::vector<Tensor> seen = swap.recorder(k).take();
      check(seen.size() == 1, "capture_inputs",
            layers[k].path + " ran " + std::to_string(seen.size()) +
                " times as a module in one forward pass; the quantiser needs each layer called "
                "exactly once through Module::operator() (not weights used directly, nor "
                "shared layers)");
      pieces[k].push_back(seen.front());
    }
  }
  std::vector<Tensor> inputs;
  for (auto& piece : pieces) inputs.push_back(piece.size() == 1 ? piece.front() : concat(piece, 0));
  return inputs;
}

}  // namespace trit::quant
