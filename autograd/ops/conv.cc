#include "autograd/ops/conv.h"

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/reduce.h"
#include "autograd/ops/conv_image.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

using conv_image::ConvPlan;

// Weight-gradient chunks: a fixed function of the shapes (never of the thread count).
constexpr int64_t kMaxWeightGradChunks = 16;
// Multiply-adds below which a chunk of images is not worth a thread of its own.
constexpr int64_t kGrain = 1 << 18;

int64_t image_chunks(const ConvPlan& p, int64_t max_chunks) {
  return kernels::worthwhile_chunks(p.batch, p.multiply_adds(), kGrain, max_chunks);
}

ConvPlan plan_conv(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const Conv2dOptions& options) {
  check_nchw(op, x.shape());
  // messages built only on failure: a convolution runs on every step
  const auto w_shape = [&] { return to_string(weight.shape()); };
  check(weight.dim() == 4, op,
        [&] { return "weight " + w_shape() + " must be 4-d [Cout,Cin/groups,KH,KW]"; });
  const int64_t groups = options.groups, out_channels = weight.size(0);
  check(groups >= 1, op, [&] { return "groups " + std::to_string(groups) + " must be >= 1"; });
  check(out_channels % groups == 0, op, [&] {
    return "weight " + w_shape() + " has " + std::to_string(out_channels) +
           " output channels, not divisible by groups " + std::to_string(groups);
  });
  check(x.size(1) == weight.size(1) * groups, op, [&] {
    return "input " + to_string(x.shape()) + " has " + std::to_string(x.size(1)) +
           " channels, weight " + w_shape() + " expects " + std::to_string(weight.size(1)) +
           " x groups " + std::to_string(groups);
  });
  if (bias.defined())
    check(bias.dim() == 1 && bias.size(0) == out_channels, op, [&] {
      return "bias " + to_string(bias.shape()) + " must be [" + std::to_string(out_channels) +
             "] for weight " + w_shape();
    });
  const kernels::Window2d window =
      make_window(op, x.shape(), weight.size(2), weight.size(3), options.stride, options.padding);
  return ConvPlan{x.size(0), x.size(1), out_channels, groups, window};
}

// Elements of dy below which the bias gradient stays on one thread.
constexpr int64_t kBiasGrain = int64_t{1} << 15;

// db[c] += sum of dy over images and positions (image order, per channel).
void bias_backward(const ConvPlan& p, const float* dy, float* db) {
  const int64_t positions = p.positions(), work = p.batch * p.out_channels * positions;
  const int64_t chunks =
      kernels::worthwhile_chunks(p.out_channels, work, kBiasGrain, kernels::num_threads());
  kernels::parallel_for_chunks(p.out_channels, chunks, [&](int64_t, int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      double total = 0.0;
      for (int64_t n = 0; n < p.batch; ++n)
        total += kernels::sum(dy + (n * p.out_channels + c) * positions, size_t(positions));
      db[c] += float(total);
    }
  });
}

// dx += (or = when dx_fresh) and dw += for all images. Each chunk of images sums its weight
// gradient in its own zeroed buffer; the buffers are added to dw in chunk order.
void conv_backward(const ConvPlan& p, const Tensor& x, const Tensor& weight, const Tensor& dy,
                   float* dx, bool dx_fresh, float* dw) {
  const int64_t chunks = image_chunks(p, kMaxWeightGradChunks);
  const int64_t dw_size = weight.numel();
  Buffer dw_chunks(dw != nullptr ? size_t(chunks * dw_size) : 0, 0.0f);
  std::vector<float> flipped;
  if (dx != nullptr && p.algorithm() != conv_image::Algorithm::kIm2col)
    flipped = conv_image::flip_weight(p, weight.data());
  kernels::parallel_for_chunks(p.batch, chunks, [&](int64_t c, int64_t begin, int64_t end) {
    Buffer scratch(size_t(conv_image::backward_scratch(p)));
    const conv_image::BackwardArrays arrays{
        x.data(),
        weight.data(),
        flipped.data(),
        dy.data(),
        dx,
        dw != nullptr ? dw_chunks.data() + c * dw_size : nullptr,
        dx_fresh};
    conv_image::backward_images(p, arrays, begin, end, scratch.data());
  });
  if (dw == nullptr) return;
  for (int64_t c = 0; c < chunks; ++c)  // fixed order: thread-count independent
    kernels::axpy(1.0f, dw_chunks.data() + c * dw_size, dw, size_t(dw_size));
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  const char* op = "conv2d";
  const ConvPlan p = plan_conv(op, x, weight, bias, options);
  Tensor out =
      Tensor::empty({p.batch, p.out_channels, p.window.out_height(), p.window.out_width()});
  const int64_t chunks = image_chunks(p, kernels::num_threads());
  const conv_image::ForwardArrays arrays{x.data(), weight.data(),
                                         bias.defined() ? bias.data() : nullptr, out.data()};
  kernels::parallel_for_chunks(p.batch, chunks, [&](int64_t, int64_t begin, int64_t end) {
    Buffer scratch(size_t(conv_image::forward_scratch(p)));
    for (int64_t n = begin; n < end; ++n) conv_image::forward_image(p, arrays, n, scratch.data());
  });
  if (needs_grad({x, weight, bias})) {
    std::vector<Tensor> inputs{x, weight};
    if (bias.defined()) inputs.push_back(bias);
    record(op, std::move(inputs), out, [p, x, weight, bias](const Tensor& g) {
      if (bias.defined() && bias.requires_grad()) bias_backward(p, g.data(), grad_buffer(bias));
      bool dx_fresh = false;  // a new input gradient is written image by image, not zeroed
      float* dx = x.requires_grad() ? grad_buffer(x, &dx_fresh) : nullptr;
      float* dw = weight.requires_grad() ? grad_buffer(weight) : nullptr;
      if (dx != nullptr || dw != nullptr) conv_backward(p, x, weight, g, dx, dx_fresh, dw);
    });
  }
  return out;
}

}  // namespace trit
