#include "autograd/ops/batch_norm.h"

#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/batch_norm.h"
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
  bool training;
};

// With xhat = (x - mean) inv_std and M values per channel:
//   d bias = Σ g,   d weight = Σ g xhat,
//   d x = w inv_std (g - Σ g / M - xhat Σ g xhat / M)   (training),
//   d x = w inv_std g                                   (evaluation: statistics are constants).
void batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& bias,
                         const Statistics& stats) {
  float* dx = x.requires_grad() ? grad_buffer(x) : nullptr;
  float* dw = weight.requires_grad() ? grad_buffer(weight) : nullptr;
  float* db = bias.requires_grad() ? grad_buffer(bias) : nullptr;
  const ChannelLayout& layout = stats.layout;
  const double count = static_cast<double>(layout.rows * layout.length);
  kernels::parallel_for_work(weight.numel(), g.numel(), kGrain, [&](int64_t c) {
    const size_t offset = c * layout.length;
    const float* gc = g.data() + offset;
    const float* xc = x.data() + offset;
    const float mean = stats.mean[c], inv_std = stats.inv_std[c];
    const double sum_g = kernels::channel_sum(gc, layout);
    const double sum_g_centered = kernels::channel_centered_dot(gc, 0.0f, xc, mean, layout);
    if (db) db[c] += static_cast<float>(sum_g);
    if (dw) dw[c] += static_cast<float>(sum_g_centered * inv_std);
    if (!dx) return;
    // As dx = a g + slope (x - mean) + k.
    const double a = weight.data()[c] * inv_std;
    const double k = stats.training ? -a * sum_g / count : 0.0;
    const double slope = stats.training ? -a * inv_std * inv_std * sum_g_centered / count : 0.0;
    kernels::channel_input_grad_add(gc, xc, layout, mean, static_cast<float>(a),
                                    static_cast<float>(slope), static_cast<float>(k), dx + offset);
  });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                  Tensor& running_var, bool training, float momentum, float eps) {
  const char* op = "batch_norm";
  check_arguments(op, x, weight, bias, running_mean, running_var, training, momentum, eps);
  const int64_t channels = x.shape()[1];
  const ChannelLayout layout = channel_layout(x.shape());
  const double count = static_cast<double>(layout.rows * layout.length);  // M

  // The statistics this pass normalises with, saved for backward.
  std::vector<float> mean(channels), inv_std(channels);
  Tensor out = Tensor::empty(x.shape());
  kernels::parallel_for_work(channels, x.numel(), kGrain, [&](int64_t c) {
    const float* xc = x.data() + c * layout.length;
    float var;
    if (training) {
      mean[c] = static_cast<float>(kernels::channel_sum(xc, layout) / count);
      const double squares = kernels::channel_centered_dot(xc, mean[c], xc, mean[c], layout);
      var = static_cast<float>(squares / count);
      float& rm = running_mean.data()[c];
      float& rv = running_var.data()[c];
      rm = (1.0f - momentum) * rm + momentum * mean[c];
      rv = (1.0f - momentum) * rv + momentum * static_cast<float>(squares / (count - 1.0));
    } else {
      mean[c] = running_mean.data()[c];
      var = running_var.data()[c];
    }
    inv_std[c] = 1.0f / std::sqrt(var + eps);
    kernels::channel_normalize(xc, layout, mean[c], weight.data()[c] * inv_std[c], bias.data()[c],
                               out.data() + c * layout.length);
  });

  if (needs_grad({x, weight, bias})) {
    Statistics stats{std::move(mean), std::move(inv_std), layout, training};
    record(op, {x, weight, bias}, out,
           [x, weight, bias, stats = std::move(stats)](const Tensor& g) {
             batch_norm_backward(g, x, weight, bias, stats);
           });
  }
  return out;
}

}  // namespace trit
