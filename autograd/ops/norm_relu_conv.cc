#include "autograd/ops/norm_relu_conv.h"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/batch_norm.h"
#include "autograd/kernels/norm_relu.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

using kernels::ChannelPair;

void check_arguments(const Tensor& x, int64_t channels, const BatchNormState& norm,
                     const Tensor& weight, const Conv2dOptions& options) {
  const char* op = "norm_relu_conv2d";
  check_nchw(op, x.shape());
  const std::string input = "input " + to_string(x.shape());
  check(channels > 0 && channels <= x.size(1), op,
        std::to_string(channels) + " channels of " + input);
  const Shape expected = {channels};
  for (const Tensor* t : {&norm.weight, &norm.bias, &norm.running_mean, &norm.running_var})
    check(t->shape() == expected, op,
          "batch-norm tensor " + to_string(t->shape()) + " for " + std::to_string(channels) +
              " channels of " + input);
  check(weight.dim() == 4 && weight.size(1) * options.groups == channels, op,
        "weight " + to_string(weight.shape()) + " with groups " + std::to_string(options.groups) +
            " for " + std::to_string(channels) + " channels of " + input);
  const int64_t per_channel = x.size(0) * x.size(2) * x.size(3);
  check(!norm.training || per_channel > 1, op,
        input + ": training needs more than one value per channel");
  check(norm.momentum >= 0.0f && norm.momentum <= 1.0f && norm.eps > 0.0f, op,
        "momentum must be in [0, 1] and eps positive");
}

// body(ch) for every channel, on several threads only when there is enough work.
template <class Body>
void for_channels(int64_t channels, const ChannelPair& c, const Body& body) {
  constexpr int64_t kGrain = 1 << 15;  // elements worth a thread
  kernels::parallel_for_work(channels, channels * int64_t(c.rows * c.length), kGrain, body);
}

// Channel c of x's prefix and of the dense scratch [N, channels, H, W] both start at
// c * length.
ChannelPair channel_pair(const Tensor& x, int64_t channels) {
  const size_t plane = size_t(x.size(2) * x.size(3));
  return {size_t(x.size(0)), plane, size_t(x.size(1)) * plane, size_t(channels) * plane};
}

// What the forward pass normalised with, per channel.
struct Statistics {
  std::vector<float> mean, inv_std;
  bool training;
};

// The batch statistics (updating the running ones) in training, the running ones otherwise.
Statistics statistics(const Tensor& x, int64_t channels, const BatchNormState& norm) {
  const ChannelPair c = channel_pair(x, channels);
  const kernels::ChannelLayout layout{c.rows, c.length, c.x_stride};
  const double count = double(c.rows * c.length);
  Statistics s{std::vector<float>(channels), std::vector<float>(channels), norm.training};
  Tensor running_mean = norm.running_mean, running_var = norm.running_var;
  for_channels(channels, c, [&](int64_t ch) {
    const float* xc = x.data() + ch * c.length;
    float var;
    if (norm.training) {
      s.mean[ch] = float(kernels::channel_sum(xc, layout) / count);
      const double squares = kernels::channel_centered_dot(xc, s.mean[ch], xc, s.mean[ch], layout);
      var = float(squares / count);
      float& rm = running_mean.data()[ch];
      float& rv = running_var.data()[ch];
      rm = (1.0f - norm.momentum) * rm + norm.momentum * s.mean[ch];
      rv = (1.0f - norm.momentum) * rv + norm.momentum * float(squares / (count - 1.0));
    } else {
      s.mean[ch] = running_mean.data()[ch];
      var = running_var.data()[ch];
    }
    s.inv_std[ch] = 1.0f / std::sqrt(var + norm.eps);
  });
  return s;
}

// relu(batch_norm(x[:, :channels])) as a new dense [N, channels, H, W] tensor.
Tensor normalized_input(const Tensor& x, int64_t channels, const Tensor& norm_weight,
                        const Tensor& norm_bias, const Statistics& s) {
  Tensor z = Tensor::empty({x.size(0), channels, x.size(2), x.size(3)});
  const ChannelPair c = channel_pair(x, channels);
  for_channels(channels, c, [&](int64_t ch) {
    const size_t offset = ch * c.length;
    kernels::norm_relu(x.data() + offset, c, s.mean[ch], norm_weight.data()[ch] * s.inv_std[ch],
                       norm_bias.data()[ch], z.data() + offset);
  });
  return z;
}

// The gradients of x's prefix, norm_weight and norm_bias from dz, the gradient of the
// ReLU's output z (masked in place). As batch_norm's backward, with xhat = (x - mean) inv_std
// and M values per channel: d bias = Σ g, d weight = Σ g xhat,
//   d x = w inv_std (g - Σ g / M - xhat Σ g xhat / M) in training, w inv_std g otherwise.
void norm_relu_backward(Tensor& dz, const Tensor& z, const Tensor& x, const Tensor& norm_weight,
                        const Tensor& norm_bias, const Statistics& s) {
  const int64_t channels = z.size(1);
  float* dx = x.requires_grad() ? x.mutable_grad() : nullptr;
  float* dw = norm_weight.requires_grad() ? norm_weight.mutable_grad() : nullptr;
  float* db = norm_bias.requires_grad() ? norm_bias.mutable_grad() : nullptr;
  const ChannelPair c = channel_pair(x, channels);
  const double count = double(c.rows * c.length);
  for_channels(channels, c, [&](int64_t ch) {
    const size_t offset = ch * c.length;
    const float* xc = x.data() + offset;
    const float mean = s.mean[ch], inv_std = s.inv_std[ch];
    const kernels::NormGradSums sums =
        kernels::relu_grad_sums(dz.data() + offset, z.data() + offset, xc, c, mean);
    if (db) db[ch] += float(sums.sum);
    if (dw) dw[ch] += float(sums.centered * inv_std);
    if (!dx) return;
    const double a = norm_weight.data()[ch] * inv_std;
    const double k = s.training ? -a * sums.sum / count : 0.0;
    const double slope = s.training ? -a * inv_std * inv_std * sums.centered / count : 0.0;
    kernels::norm_input_grad_add(dz.data() + offset, xc, c, mean, float(a), float(slope), float(k),
                                 dx + offset);
  });
}

}  // namespace

Tensor norm_relu_conv2d(const Tensor& x, int64_t channels, const BatchNormState& norm,
                        const Tensor& weight, const Conv2dOptions& options) {
  check_arguments(x, channels, norm, weight, options);
  Statistics stats = statistics(x, channels, norm);
  Tensor out;
  {
    const Tensor z = normalized_input(x, channels, norm.weight, norm.bias, stats);
    NoGradGuard no_grad;  // z is scratch: nothing of it is kept
    out = conv2d(z, weight, Tensor(), options);
  }
  if (needs_grad({x, norm.weight, norm.bias, weight})) {
    const Tensor norm_weight = norm.weight, norm_bias = norm.bias;
    record("norm_relu_conv2d", {x, norm_weight, norm_bias, weight}, out,
           [x, channels, norm_weight, norm_bias, weight, options,
            stats = std::move(stats)](const Tensor& g) {
             const Tensor z = normalized_input(x, channels, norm_weight, norm_bias, stats);
             const bool want_dz =
                 x.requires_grad() || norm_weight.requires_grad() || norm_bias.requires_grad();
             Tensor dz = want_dz ? Tensor::zeros(z.shape()) : Tensor();
             conv2d_backward(z, weight, g, options, want_dz ? dz.data() : nullptr,
                             weight.requires_grad() ? weight.mutable_grad() : nullptr);
             if (want_dz) norm_relu_backward(dz, z, x, norm_weight, norm_bias, stats);
           });
  }
  return out;
}

}  // namespace trit
