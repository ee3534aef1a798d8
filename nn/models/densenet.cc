#include "nn/models/densenet.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "autograd/error.h"
#include "autograd/fused/channel_buffer.h"
#include "autograd/fused/norm_relu_conv.h"
#include "autograd/graph.h"
#include "autograd/ops/batch_norm.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/unary.h"
#include "nn/activation.h"
#include "nn/init.h"

namespace trit::nn {
namespace {

std::shared_ptr<Conv2d> conv(int64_t in, int64_t out, int64_t kernel, Rng& rng) {
  Conv2dOptions options;
  options.padding = kernel / 2;
  return std::make_shared<Conv2d>(in, out, kernel, rng, options, false);
}

// The child registered under `name` now (VNQ and the ternary loader swap children).
Module& child(const Module& parent, const std::string& name) {
  for (const auto& [child_name, module] : parent.children())
    if (child_name == name) return *module;
  throw Error(parent.type() + ": no child named " + name);
}

bool runs_fused(const Module& convolution, bool memory_efficient) {
  return memory_efficient && dynamic_cast<const FusableConvolution*>(&convolution) != nullptr;
}

// convolution(relu(norm(x[:, :channels]))): fused, recomputing the normalised input in
// backward, when runs_fused(); else as three separate ops and the module `convolution`.
Tensor norm_relu_conv(const Tensor& x, int64_t channels, BatchNorm2d& norm, Module& convolution,
                      bool memory_efficient, std::shared_ptr<ChannelStatistics> shared = nullptr) {
  check(x.dim() == 4 && x.size(1) >= channels, "DenseNet",
        "input " + to_string(x.shape()) + " for " + std::to_string(channels) + " channels");
  if (!runs_fused(convolution, memory_efficient)) {
    check(shared == nullptr, "DenseNet",
          "shared channel statistics for an unfused " + convolution.repr() + " (see densenet.h)");
    if (!norm.is_training() && !grad_enabled())  // inference: one pass instead of three
      return convolution(batch_norm_relu_eval(x, channels, norm.weight(), norm.bias(),
                                              norm.running_mean(), norm.running_var(),
                                              norm.eps()));
    return convolution(relu(norm(x.size(1) == channels ? x : slice(x, 1, 0, channels))));
  }
  BatchNormState state{norm.weight(),      norm.bias(),     norm.running_mean(), norm.running_var(),
                       norm.is_training(), norm.momentum(), norm.eps(), norm.sync()};
  return dynamic_cast<FusableConvolution&>(convolution)
      .forward_fused([&](const Tensor& weight, const Conv2dOptions& options, NormReluInput input) {
        Tensor out = norm_relu_conv2d(x, channels, state, weight, options, shared, input);
        state.momentum = 0.0f;  // the running statistics move once, whoever convolves again
        return out;
      });
}

// The DenseNet reference initialisation (see the header).
void reinitialize(Module& model, Rng& rng) {
  for (auto& [name, tensor] : model.named_parameters()) {
    if (tensor.dim() == 4) {
      init::kaiming_normal_(tensor, rng, 0.0f, init::FanMode::kFanOut);
    } else if (name == "classifier.bias") {
      init::constant_(tensor, 0.0f);
    }
  }
}

}  // namespace

int64_t DenseNetConfig::layers_per_block() const {
  const int64_t convs_per_layer = bottleneck ? 2 : 1;
  check(depth > 4 && (depth - 4) % (3 * convs_per_layer) == 0, "densenet",
        "depth " + std::to_string(depth) + " is not 3 n " + (bottleneck ? "x 2 " : "") +
            "+ 4 for a whole n >= 1");
  check(growth > 0 && initial_channels > 0 && classes > 0, "densenet",
        "growth, initial channels and classes must be positive");
  check(compression > 0.0f && compression <= 1.0f, "densenet",
        "compression " + std::to_string(compression) + " is outside (0, 1]");
  return (depth - 4) / (3 * convs_per_layer);
}

DenseLayer::DenseLayer(int64_t in_channels, int64_t growth, bool bottleneck, bool memory_efficient,
                       Rng& rng, std::shared_ptr<DenseBlockState> block)
    : Module("DenseLayer"),
      in_channels_(in_channels),
      growth_(growth),
      memory_efficient_(memory_efficient),
      block_(std::move(block)) {
  norm1_ = register_module("norm1", std::make_shared<BatchNorm2d>(in_channels));
  if (!bottleneck) {
    register_module("conv1", conv(in_channels, growth, 3, rng));
    return;
  }
  register_module("conv1", conv(in_channels, 4 * growth, 1, rng));
  norm2_ = register_module("norm2", std::make_shared<BatchNorm2d>(4 * growth));
  register_module("conv2", conv(4 * growth, growth, 3, rng));
}

bool DenseLayer::reads_buffer_fused() const {
  return runs_fused(child(*this, "conv1"), memory_efficient_);
}

Tensor DenseLayer::forward(const Tensor& input) {
  Tensor h = norm_relu_conv(input, in_channels_, *norm1_, child(*this, "conv1"), memory_efficient_,
                            block_ ? block_->statistics : nullptr);
  if (norm2_) h = norm_relu_conv(h, 4 * growth_, *norm2_, child(*this, "conv2"), memory_efficient_);
  return h;
}

std::string DenseLayer::repr() const {
  return "DenseLayer(" + std::to_string(in_channels_) + ", growth=" + std::to_string(growth_) +
         (norm2_ ? ", bottleneck)" : ")");
}

DenseBlock::DenseBlock(int64_t in_channels, int64_t layers, int64_t growth, bool bottleneck,
                       bool memory_efficient, Rng& rng)
    : Module("DenseBlock"),
      in_channels_(in_channels),
      layers_(layers),
      growth_(growth),
      memory_efficient_(memory_efficient),
      state_(memory_efficient ? std::make_shared<DenseBlockState>() : nullptr) {
  for (int64_t i = 0; i < layers; ++i)
    register_module("denselayer" + std::to_string(i + 1),
                    std::make_shared<DenseLayer>(in_channels + i * growth, growth, bottleneck,
                                                 memory_efficient, rng, state_));
}

Tensor DenseBlock::forward(const Tensor& input) {
  check(input.dim() == 4 && input.size(1) == in_channels_, "DenseBlock",
        "input " + to_string(input.shape()) + " for " + repr());
  if (!memory_efficient_) {
    Tensor features = input;
    for (const auto& layer : children())
      features = concat({features, (*layer.second)(features)}, 1);
    return features;
  }
  // A fresh ChannelStatistics per forward (the backward closures of this graph keep it), or
  // none when a layer reads the buffer unfused: every op on the buffer shares it or none.
  const bool share = std::all_of(children().begin(), children().end(), [](const auto& named) {
    const auto* layer = dynamic_cast<const DenseLayer*>(named.second.get());
    return layer != nullptr && layer->reads_buffer_fused();
  });
  const auto statistics = share ? std::make_shared<ChannelStatistics>() : nullptr;
  state_->statistics = statistics;
  Tensor buffer = channel_buffer(input, out_channels(), statistics);
  int64_t filled = in_channels_;
  for (const auto& layer : children()) {
    write_channels(buffer, (*layer.second)(buffer), filled, statistics);
    filled += growth_;
  }
  state_->statistics = nullptr;
  return buffer;
}

std::string DenseBlock::repr() const {
  return "DenseBlock(" + std::to_string(in_channels_) + " -> " + std::to_string(out_channels()) +
         ", " + std::to_string(layers_) + " layers)";
}

Transition::Transition(int64_t in_channels, int64_t out_channels, bool memory_efficient, Rng& rng)
    : Module("Transition"),
      in_channels_(in_channels),
      out_channels_(out_channels),
      memory_efficient_(memory_efficient) {
  norm_ = register_module("norm", std::make_shared<BatchNorm2d>(in_channels));
  register_module("conv", conv(in_channels, out_channels, 1, rng));
  pool_ = register_module("pool", std::make_shared<AvgPool2d>(2));
}

Tensor Transition::forward(const Tensor& input) {
  check(input.dim() == 4 && input.size(1) == in_channels_, "Transition",
        "input " + to_string(input.shape()) + " for " + repr());
  return (*pool_)(
      norm_relu_conv(input, in_channels_, *norm_, child(*this, "conv"), memory_efficient_));
}

std::string Transition::repr() const {
  return "Transition(" + std::to_string(in_channels_) + " -> " + std::to_string(out_channels_) +
         ")";
}

DenseNet::DenseNet(const DenseNetConfig& config, Rng& rng) : Module("DenseNet"), config_(config) {
  const int64_t layers = config.layers_per_block();
  const bool efficient = config.memory_efficient;
  features_ = register_module("features", std::make_shared<Sequential>());
  features_->add("conv0", conv(3, config.initial_channels, 3, rng));
  int64_t channels = config.initial_channels;
  for (int64_t b = 1; b <= 3; ++b) {
    auto block = std::make_shared<DenseBlock>(channels, layers, config.growth, config.bottleneck,
                                              efficient, rng);
    features_->add("denseblock" + std::to_string(b), block);
    channels = block->out_channels();
    if (b == 3) break;
    const auto out = static_cast<int64_t>(std::floor(config.compression * double(channels)));
    check(out > 0, "densenet", "compression leaves a transition without channels");
    features_->add("transition" + std::to_string(b),
                   std::make_shared<Transition>(channels, out, efficient, rng));
    channels = out;
  }
  features_->add("norm5", std::make_shared<BatchNorm2d>(channels))
      .add("relu5", std::make_shared<ReLU>())
      .add("pool", std::make_shared<GlobalAvgPool2d>());
  register_module("classifier", std::make_shared<Linear>(channels, config.classes, rng));
  reinitialize(*this, rng);
}

namespace {

// Inference streams each dense block's buffer through every layer of the block; a group of
// images whose first-block buffer takes at most this many bytes keeps that traffic in the
// caches. DenseNet-BC-40 at batch 64, 1 thread, this session's 2-core EPYC (1 MiB L2 a core):
// the ternary model 107 -> 68 ms in groups of 8 images (384 KiB each), the float one
// 135 -> 112 ms; 4 images ran as fast, 16 and single images slower (docs/performance.md).
constexpr int64_t kInferenceGroupBytes = int64_t{3} << 20;
// Never fewer images per group: a group of at most 4 would take gemm's batch-1 dot products
// in the classifier and round differently from the whole batch.
constexpr int64_t kMinInferenceGroup = 8;

}  // namespace

Tensor DenseNet::forward(const Tensor& input) {
  // Inference in groups of images (each op treats images apart: the same result as one
  // pass); training, and anything recording a tape, in one pass (batch statistics).
  const int64_t batch = input.dim() == 4 ? input.size(0) : 0;
  const int64_t image_bytes =
      batch > 0 ? (config_.initial_channels + config_.layers_per_block() * config_.growth) *
                      input.size(2) * input.size(3) * int64_t(sizeof(float))
                : 1;
  const int64_t group =
      std::max(kMinInferenceGroup, kInferenceGroupBytes / std::max<int64_t>(image_bytes, 1));
  const int64_t groups = batch / group;  // each at least `group` images
  if (is_training() || grad_enabled() || groups < 2)
    return child(*this, "classifier")((*features_)(input));
  std::vector<Tensor> logits;
  for (int64_t g = 0; g < groups; ++g) {
    const Tensor images = slice(input, 0, batch * g / groups, batch * (g + 1) / groups);
    logits.push_back(child(*this, "classifier")((*features_)(images)));
  }
  return concat(logits, 0);
}

std::string DenseNet::repr() const {
  std::ostringstream out;
  out << "DenseNet(depth=" << config_.depth << ", growth=" << config_.growth
      << (config_.bottleneck ? ", bottleneck" : "") << ", compression=" << config_.compression
      << ", initial=" << config_.initial_channels << ")";
  return out.str();
}

}  // namespace trit::nn
