// Test helpers for modules: small toy modules for the Module/checkpoint tests, seeded
// parameter values, and the gradient check of a layer.
//
//   Affine(n):  y = x * weight + bias, weight [n] and bias [n] parameters
//   Counter(n): identity; a buffer "calls" [n] counting forward calls made in training
//   Chain:      children "0", "1", ... applied in order
//   ToyNet:     features = Chain{Affine(3), Counter(3)}, head = Affine(3), so its names are
//               features.0.weight, features.0.bias, features.1.calls, head.weight, head.bias
//   randomize(module, seed):   fills every parameter and buffer with seeded normal values
//   randomize_batch_norm(module, seed): BN weights in [0.5, 1.5], biases in [-0.3, 0.3]
//   require_close(want, got):  every named tensor of want is in got, same shape and values
//                              up to rounding (relative 1e-4, absolute ~1e-7)
//   gradcheck_layer(layer, x[, options]): gradcheck (gradcheck.h) of layer(x) on x and every
//                              parameter
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops/arithmetic.h"
#include "autograd/random.h"
#include "nn/batch_norm.h"
#include "nn/module.h"
#include "tests/gradcheck.h"

namespace trit::testing {

class Affine : public nn::Module {
 public:
  explicit Affine(int64_t n) : Module("Affine") {
    weight = register_parameter("weight", Tensor::ones({n}));
    bias = register_parameter("bias", Tensor::zeros({n}));
  }
  Tensor forward(const Tensor& x) override { return x * weight + bias; }
  Tensor weight, bias;
};

class Counter : public nn::Module {
 public:
  explicit Counter(int64_t n) : Module("Counter") {
    calls = register_buffer("calls", Tensor::zeros({n}));
  }
  Tensor forward(const Tensor& x) override {
    if (is_training())
      for (int64_t i = 0; i < calls.numel(); ++i) calls.data()[i] += 1.0f;
    return x;
  }
  Tensor calls;
};

class Chain : public nn::Module {
 public:
  explicit Chain(std::vector<std::shared_ptr<nn::Module>> modules) : Module("Chain") {
    for (size_t i = 0; i < modules.size(); ++i) register_module(std::to_string(i), modules[i]);
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& child : children()) y = (*child.second)(y);
    return y;
  }
};

class ToyNet : public nn::Module {
 public:
  ToyNet() : Module("ToyNet") {
    features = register_module("features",
                               std::make_shared<Chain>(std::vector<std::shared_ptr<nn::Module>>{
                                   std::make_shared<Affine>(3), std::make_shared<Counter>(3)}));
    head = register_module("head", std::make_shared<Affine>(3));
  }
  Tensor forward(const Tensor& x) override { return (*head)((*features)(x)); }
  std::shared_ptr<Chain> features;
  std::shared_ptr<Affine> head;
};

// Fills every parameter and buffer of `module` with seeded normal values.
inline void randomize(nn::Module& module, uint64_t seed) {
  Rng rng(seed);
  for (auto& [name, tensor] : module.state_dict())
    for (int64_t i = 0; i < tensor.numel(); ++i) tensor.data()[i] = rng.normal();
}

// Every BatchNorm2d's weight uniform in [0.5, 1.5] and bias in [-0.3, 0.3] instead of 1 and
// 0 (so a test sees the affine parameters), drawn in parameter order.
inline void randomize_batch_norm(nn::Module& model, uint64_t seed) {
  Rng rng(seed);
  for (const auto& [name, module] : model.named_modules()) {
    const auto* norm = dynamic_cast<const nn::BatchNorm2d*>(module.get());
    if (norm == nullptr) continue;
    for (Tensor t : {norm->weight(), norm->bias()}) {
      const bool weight = t.is_same(norm->weight());
      for (int64_t i = 0; i < t.numel(); ++i)
        t.data()[i] = weight ? 0.5f + rng.uniform() : 0.6f * rng.uniform() - 0.3f;
    }
  }
}

inline void require_close(const std::map<std::string, Tensor>& want,
                          const std::map<std::string, Tensor>& got) {
  for (const auto& [name, tensor] : want) {
    const std::string& entry = name;  // CAPTURE may not name a structured binding
    CAPTURE(entry);
    REQUIRE(got.count(name) == 1);
    const Tensor& value = got.at(name);
    REQUIRE(value.shape() == tensor.shape());
    for (int64_t i = 0; i < value.numel(); ++i) {
      CAPTURE(i);
      REQUIRE(value.data()[i] == doctest::Approx(tensor.data()[i]).epsilon(1e-4).scale(1e-3));
    }
  }
}

inline void gradcheck_layer(nn::Module& layer, const Tensor& x,
                            const GradcheckOptions& options = {}) {
  std::vector<Tensor> inputs = {x};
  for (const Tensor& p : layer.parameters()) inputs.push_back(p);
  gradcheck([&](const std::vector<Tensor>& in) { return layer(in[0]); }, inputs, options);
}

}  // namespace trit::testing
