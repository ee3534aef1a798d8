#include "autograd/ops/batch_norm.h"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/batch_norm.h"
#include "autograd/kernels/norm_relu.h"
#include "autograd/kernels/parallel.h"

namespace trit {
namespace {

constexpr int64_t kGrain = 1 << 15;  // elements worth a thread

using kernels::ChannelLayout;

void check_arguments(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                     const Tensor& running_mean, const Tensor& running_var, bool training,
                     float momentum, float eps) {
  const std::string input = "input " + to_string(x.shape());
  check(x.dim() == 2 || x.dim() == 4, op, input + ": expected [N,C] or [N,C,H,W]");
  const Shape channels = {x.shape()[1]};
  const auto check_parameter = [&](const Tensor& t, const char* name) {
    check(t.shape() == channels, op,
          std::string(name) + " " + to_string(t.shape()) + " for " + input + ": expected " +
              to_string(channels));
  };
  check_parameter(weight, "weight");
  check_parameter(bias, "bias");
  check_parameter(running_mean, "running_mean");
  check_parameter(running_var, "running_var");
  const int64_t per_channel =
      x.dim() == 4 ? x.shape()[0] * x.shape()[2] * x.shape()[3] : x.shape()[0];
  check(!training || per_channel > 1, op,
        input + ": training needs more than one value per channel");
  check(momentum >= 0.0f && momentum <= 1.0f, op,
        "momentum " + std::to_string(momentum) + " is outside [0, 1]");
  check(eps > 0.0f, op, "eps " + std::to_string(eps) + " must be positive");
}

// Channel c of x starts at c * layout.length.
ChannelLayout channel_layout(const Shape& shape) {
  const size_t length = shape.size() == 4 ? static_cast<size_t>(shape[2] * shape[3]) : 1;
  return {static_cast<size_t>(shape[0]), length, static_cast<size_t>(shape[1]) * length};
}

// What the forward pass normalised with, per channel, and how.
struct Statistics {
  std::vector<float> mean, inv_std;
  ChannelLayout layout;
  double count;  // M: values per channel, over every process when synchronised
  bool training;
};

// With xhat = (x - mean) inv_std and M values per channel:
//   d bias = Σ g,   d weight = Σ g xhat,
//   d x = w inv_std (g - Σ g / M - xhat Σ g xhat / M)   (training),
//   d x = w inv_std g                                   (evaluation: statistics are constants).
// Synchronised, the two sums in d x are over every process's batch; d bias and d weight keep
// this process's share.
void batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Statistics& stats, const CrossProcessSum& sync) {
  float* dx = x.requires_grad() ? grad_buffer(x) : nullptr;
  float* dw = weight.requires_grad() ? grad_buffer(weight) : nullptr;
  float* db = bias.requires_grad() ? grad_buffer(bias) : nullptr;
  const ChannelLayout& layout = stats.layout;
  const int64_t channels = weight.numel();
  std::vector<double> sums(2 * static_cast<size_t>(channels));  // Σ g, Σ g (x - mean)
  kernels::parallel_for_work(channels, g.numel(), kGrain, [&](int64_t c) {
    const size_t offset = c * layout.length;
    sums[2 * c] = kernels::channel_sum(g.data() + offset, layout);
    sums[2 * c + 1] =
        kernels::channel_centered_dot(g.data() + offset, 0.0f, x.data() + offset, stats.mean[c],
                                      layout);
    if (db) db[c] += static_cast<float>(sums[2 * c]);
    if (dw) dw[c] += static_cast<float>(sums[2 * c + 1] * stats.inv_std[c]);
  });
  if (stats.training && sync) sync(sums);
  if (!dx) return;
  kernels::parallel_for_work(channels, g.numel(), kGrain, [&](int64_t c) {
    const size_t offset = c * layout.length;
    const float mean = stats.mean[c], inv_std = stats.inv_std[c];
    // As dx = a g + slope (x - mean) + k.
    const double a = weight.data()[c] * inv_std;
    const double k = stats.training ? -a * sums[2 * c] / stats.count : 0.0;
    const double slope =
        stats.training ? -a * inv_std * inv_std * sums[2 * c + 1] / stats.count : 0.0;
    kernels::channel_input_grad_add(g.data() + offset, x.data() + offset, layout, mean,
                                    static_cast<float>(a), static_cast<float>(slope),
                                    static_cast<float>(k), dx + offset);
  });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, float momentum, float eps,
                  const CrossProcessSum& sync) {
  const char* op = "batch_norm";
  check_arguments(op, x, weight, bias, running_mean, running_var, training, momentum, eps);
  const int64_t channels = x.shape()[1];
  const ChannelLayout layout = channel_layout(x.shape());
  double count = static_cast<double>(layout.rows * layout.length);  // M
  const auto channel = [&](int64_t c) { return x.data() + c * layout.length; };

  // The statistics this pass normalises with, saved for backward.
  std::vector<float> mean(channels), inv_std(channels);
  if (training) {
    std::vector<double> sums(channels + 1);  // per channel Σ x, then M
    kernels::parallel_for_work(channels, x.numel(), kGrain, [&](int64_t c) {
      sums[c] = kernels::channel_sum(channel(c), layout);
    });
    sums[channels] = count;
    if (sync) sync(sums);
    count = sums[channels];
    std::vector<double> squares(channels);  // Σ (x - mean)^2
    kernels::parallel_for_work(channels, x.numel(), kGrain, [&](int64_t c) {
      mean[c] = static_cast<float>(sums[c] / count);
      squares[c] = kernels::channel_centered_dot(channel(c), mean[c], channel(c), mean[c], layout);
    });
    if (sync) sync(squares);
    for (int64_t c = 0; c < channels; ++c) {
      float& rm = running_mean.data()[c];
      float& rv = running_var.data()[c];
      rm = (1.0f - momentum) * rm + momentum * mean[c];
      rv = (1.0f - momentum) * rv + momentum * static_cast<float>(squares[c] / (count - 1.0));
      inv_std[c] = 1.0f / std::sqrt(static_cast<float>(squares[c] / count) + eps);
    }
  } else {
    for (int64_t c = 0; c < channels; ++c) {
      mean[c] = running_mean.data()[c];
      inv_std[c] = 1.0f / std::sqrt(running_var.data()[c] + eps);
    }
  }
  Tensor out = Tensor::empty(x.shape());
  kernels::parallel_for_work(channels, x.numel(), kGrain, [&](int64_t c) {
    kernels::channel_normalize(channel(c), layout, mean[c], weight.data()[c] * inv_std[c],
                               bias.data()[c], out.data() + c * layout.length);
  });

  if (needs_grad({x, weight, bias})) {
    Statistics stats{std::move(mean), std::move(inv_std), layout, count, training};
    record(op, {x, weight, bias}, out,
           [x, weight, bias, stats = std::move(stats), sync](const Tensor& g) {
             batch_norm_backward(g, x, weight, bias, stats, sync);
           });
  }
  return out;
}

Tensor batch_norm_relu_eval(const Tensor& x, int64_t channels, const Tensor& weight,
                            const Tensor& bias, const Tensor& running_mean,
                            const Tensor& running_var, float eps) {
  const char* op = "batch_norm_relu_eval";
  check(x.dim() == 4 && channels > 0 && channels <= x.size(1), op, [&] {
    return std::to_string(channels) + " channels of input " + to_string(x.shape());
  });
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var})
    check(t->dim() == 1 && t->size(0) == channels, op, [&] {
      return "parameter " + to_string(t->shape()) + " for " + std::to_string(channels) +
             " channels: expected [" + std::to_string(channels) + "]";
    });
  check(eps > 0.0f, op, [&] { return "eps " + std::to_string(eps) + " is not positive"; });
  const Shape sliced = {x.size(0), channels, x.size(2), x.size(3)};
  check(!needs_grad({x, weight, bias}), op, [] {
    return std::string("records nothing, but an input requires grad (use batch_norm and relu)");
  });
  const int64_t plane = x.size(2) * x.size(3);
  const kernels::ChannelPair pair{size_t(x.size(0)), size_t(plane), size_t(x.size(1) * plane),
                                  size_t(channels * plane)};
  Tensor out = Tensor::empty(sliced);
  kernels::parallel_for_work(channels, out.numel(), kGrain, [&](int64_t c) {
    const float inv_std = 1.0f / std::sqrt(running_var.data()[c] + eps);
    kernels::norm_relu(x.data() + c * plane, pair,
                       {running_mean.data()[c], weight.data()[c] * inv_std, bias.data()[c]},
                       out.data() + c * plane);
  });
  return out;
}

}  // namespace trit
