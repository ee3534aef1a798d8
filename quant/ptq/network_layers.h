// The quantisable layers of a model as the whole-network quantiser sees them (ptq.md §5):
// every nn::Linear and nn::Conv2d, in model order, with their weights as one N0 x N1 matrix
// (columns are neurons, ptq.md §1) and their inputs captured from forward passes.
//
// Model order is registration order, depth-first (Module::children). For models built as
// Sequential chains (LeNet-5) it is the forward order; the whole-network quantiser relies on it.
#pragma once

#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops/conv.h"
#include "autograd/tensor.h"
#include "nn/module.h"

namespace trit::quant {

struct QuantLayer {
  std::string path;                    // dotted module name ("conv1", "features.0")
  nn::Module* parent = nullptr;        // the module owning it (the model for top-level layers)
  std::string child;                   // its name under the parent
  std::shared_ptr<nn::Module> module;  // the nn::Linear or nn::Conv2d
  Tensor weight, bias;                 // handles sharing the layer's storage; bias may be undefined
  bool conv = false;
  int64_t n0 = 0, n1 = 0;              // fan-in (in, or C KH KW) and neurons (out)
  int64_t kernel_h = 1, kernel_w = 1;  // conv only
  Conv2dOptions conv_options;          // conv only
};

// Every Linear and Conv2d of `model` at any depth, in model order. Throws trit::Error for a
// grouped convolution (not supported: its weight is not one N0 x N1 matrix over one X).
std::vector<QuantLayer> quantisable_layers(nn::Module& model);

// W (N0 x N1) in double: Linear weight [out, in] gives W = weight^T; Conv2d weight
// [out, C, KH, KW] gives W[(c KH + ky) KW + kx][o], the row order of kernels::im2col, so a
// patch row x gives the layer's output x W (+ bias).
Eigen::MatrixXd weight_matrix(const QuantLayer& layer);
// Writes float(W) back into the layer's weight (the inverse of weight_matrix).
void set_weight_matrix(const QuantLayer& layer, const Eigen::MatrixXd& w);

// The inputs of `layers` when `model` runs on `images` ([N, ...], already normalised) in
// evaluation mode without recording, `batch` images at a time: one tensor [N, ...] per layer.
// The layers are swapped for recording wrappers during the call and always put back; the
// model's training mode is restored. Throws trit::Error when a layer does not run exactly once
// per forward pass as a module (a model that uses the weights directly, or shares a layer).
std::vector<Tensor> capture_inputs(nn::Module& model, const std::vector<QuantLayer>& layers,
                                   const Tensor& images, int64_t batch = 256);

}  // namespace trit::quant
