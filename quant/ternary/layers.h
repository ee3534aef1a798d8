// Ternary layers: a quantised model's Linear and Conv2d layers with 2-bit packed weights
// (quant/ternary/pack.h) and a float bias, for inference only (shared/spec/vnq.md §5.3).
//
// Contract
// - TernaryLinear: x [N, in] -> [N, out] = ternary_linear(x, weights, bias); weights
//   [out, in] codes. TernaryConv2d: x [N, in, H, W] -> conv2d with the square kernel
//   level * codes flattened [out, in * k * k], stride and padding as given, groups 1.
// - The bias is a buffer named "bias" (so state dicts hold it under "<layer>.bias", as for
//   the float layer); the packed weights are not tensors and are not in state dicts (the
//   ternary checkpoint stores them, quant/ternary/checkpoint.h). Nothing records on the tape.
// - Constructors validate the packed weights (validate_ternary) and the bias shape [out].
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops/conv.h"
#include "nn/module.h"
#include "quant/ternary/kernels/sparse.h"
#include "quant/ternary/pack.h"

namespace trit::quant {

// What TernaryLinear and TernaryConv2d share: the packed weights and the bias.
class TernaryLayer : public nn::Module {
 public:
  const PackedTernary& weights() const { return weights_; }
  Tensor bias() const { return bias_; }  // undefined without a bias
  // Codes that are not 0, over rows * cols.
  int64_t nonzero() const { return sparse_.nonzero(); }
  // The index of the non-zero codes (built with the layer), for the ops' sparse path.
  const kernels::SparseTernary& sparse() const { return sparse_; }

 protected:
  TernaryLayer(std::string type, PackedTernary weights, const Tensor& bias);

 private:
  PackedTernary weights_;
  kernels::SparseTernary sparse_;
  Tensor bias_;
};

class TernaryLinear : public TernaryLayer {
 public:
  TernaryLinear(PackedTernary weights, const Tensor& bias = Tensor());
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;  // "TernaryLinear(800, 500)"
};

class TernaryConv2d : public TernaryLayer {
 public:
  // weights.cols must be in_channels * kernel * kernel; options.groups must be 1.
  TernaryConv2d(PackedTernary weights, int64_t in_channels, int64_t kernel,
                const Conv2dOptions& options = {}, const Tensor& bias = Tensor());
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;  // "TernaryConv2d(1, 20, kernel=5)"
  int64_t in_channels() const { return in_channels_; }
  int64_t kernel() const { return kernel_; }
  const Conv2dOptions& options() const { return options_; }

  // The optional 8-bit activation path (ternary_conv2d's activation_scale): 0, the default,
  // is the exact float path. calibrate_activations (activations.h) sets it; a scale must be
  // finite and >= 0.
  float activation_scale() const { return activation_scale_; }
  void set_activation_scale(float scale);
  // While recording, forward() also keeps the largest |input| it has seen (from 0 when
  // recording starts), for calibration.
  void record_input_range(bool on);
  float input_range() const { return input_range_; }

 private:
  int64_t in_channels_, kernel_;
  Conv2dOptions options_;
  float activation_scale_ = 0.0f;
  bool recording_ = false;
  float input_range_ = 0.0f;
};

using TernaryLayers = std::vector<std::shared_ptr<TernaryLayer>>;

// Walks `model` depth-first; for each child (at any depth) for which `twin(path, child)`
// returns a module, replaces the child by it (Module::replace_child) and does not descend
// into it; otherwise descends. `path` is the dotted name ("features.0"). Returns the paths
// replaced, in model order.
using TwinFunction =
    std::function<std::shared_ptr<nn::Module>(const std::string& path, const nn::Module& child)>;
std::vector<std::string> replace_layers(nn::Module& model, const TwinFunction& twin);

// What a ternary twin is built from, whatever the source layer's class: the float weight
// ([out, in] or [out, in, k, k]), its bias (may be undefined) and, for a convolution, its
// options (null for a linear layer).
struct FloatLayer {
  Tensor weight, bias;
  const Conv2dOptions* conv = nullptr;
};

// The ternary twin of a layer with the given packed weights, whose rows and cols must match
// the weight flattened to [out, rest], and a copy of the bias. Throws "<where>: ..." on a size
// mismatch.
std::shared_ptr<TernaryLayer> ternary_twin(const FloatLayer& layer, PackedTernary weights,
                                           const std::string& where);
// The same for a float nn::Linear or nn::Conv2d; null for any other module.
std::shared_ptr<TernaryLayer> ternary_twin(const nn::Module& layer, PackedTernary weights,
                                           const std::string& where);

// The ternary layers of a model, in model order, with their dotted names.
std::vector<std::pair<std::string, std::shared_ptr<TernaryLayer>>> find_ternary(
    const nn::Module& model);

}  // namespace trit::quant
