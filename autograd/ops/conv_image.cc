#include "autograd/ops/conv_image.h"

#include <algorithm>

#include "autograd/kernels/gemm.h"

namespace trit::conv_image {

Algorithm ConvPlan::algorithm() const {
  const kernels::Window2d& w = window;
  if (kernel_size() == 1 && w.stride == 1 && w.padding == 0) return Algorithm::kPointwise;
  if (w.stride == 1 && w.padding < w.kernel_h && w.padding < w.kernel_w) return Algorithm::kWide;
  return Algorithm::kIm2col;
}

kernels::WideConv ConvPlan::wide_forward() const {
  const kernels::Window2d& w = window;
  return {group_in(), w.height + 2 * w.padding, w.width + 2 * w.padding, w.kernel_h, w.kernel_w};
}

kernels::WideConv ConvPlan::wide_input_grad() const {
  const kernels::Window2d& w = window;
  return {group_out(), w.out_height() + 2 * (w.kernel_h - 1 - w.padding),
          w.out_width() + 2 * (w.kernel_w - 1 - w.padding), w.kernel_h, w.kernel_w};
}

int64_t forward_scratch(const ConvPlan& p) {
  switch (p.algorithm()) {
    case Algorithm::kPointwise:
      return 0;
    case Algorithm::kWide: {
      const kernels::WideConv g = p.wide_forward();
      return g.input_size() + p.group_out() * g.padded_positions();
    }
    case Algorithm::kIm2col:
      break;
  }
  return p.column_rows() * p.positions();
}

namespace {

// The [column_rows, positions] matrix of group g of image n: the input itself for a
// pointwise conv, else its im2col in `scratch`.
const float* columns(const ConvPlan& p, const float* x, int64_t n, int64_t g, float* scratch) {
  const float* image = x + p.input_offset(n, g);
  if (p.algorithm() == Algorithm::kPointwise) return image;
  kernels::im2col(image, p.group_in(), p.window, scratch);
  return scratch;
}

void wide_forward_group(const ConvPlan& p, const float* x, const float* weight, float* out,
                        int64_t n, int64_t g, float* scratch) {
  const kernels::WideConv wide = p.wide_forward();
  const kernels::Window2d& w = p.window;
  float* input = scratch;
  float* result = scratch + wide.input_size();
  kernels::wide_input(x + p.input_offset(n, g), wide, w.padding, w.padding, input);
  kernels::wide_conv(input, wide, weight + p.weight_offset(g), p.group_out(), result,
                     wide.padded_positions());
  kernels::narrow_planes(result, p.group_out(), wide.padded_positions(), w.out_height(), wide.width,
                         w.out_width(), out + p.output_offset(n, g), false);
}

// Images per wide_conv_weight_grad call: as many as fit kWideGradFloats of scratch (they
// share the kernel's horizontal sums), at least one. A function of the shapes alone.
constexpr int64_t kWideGradFloats = int64_t{1} << 16;

int64_t wide_grad_image_floats(const ConvPlan& p) {
  const kernels::WideConv wide = p.wide_forward();
  return wide.input_size() + p.group_out() * wide.padded_positions();
}

int64_t wide_grad_images(const ConvPlan& p) {
  return std::max<int64_t>(1, std::min(p.batch, kWideGradFloats / wide_grad_image_floats(p)));
}

// dw += dy x^T for images [begin, end) of group g, over the wide positions (dy widened with
// zeros in the garbage columns).
void wide_weight_grad_group(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                            int64_t g, float* scratch) {
  const kernels::WideConv wide = p.wide_forward();
  const kernels::Window2d& w = p.window;
  const int64_t count = end - begin, ldd = wide.padded_positions();
  float* inputs = scratch;
  float* dys = scratch + count * wide.input_size();
  for (int64_t i = 0; i < count; ++i) {
    kernels::wide_input(a.x + p.input_offset(begin + i, g), wide, w.padding, w.padding,
                        inputs + i * wide.input_size());
    kernels::widen_planes(a.dy + p.output_offset(begin + i, g), p.group_out(), w.out_height(),
                          w.out_width(), wide.width, ldd, dys + i * p.group_out() * ldd);
  }
  const kernels::WideImages images{inputs, wide.input_size(), dys, p.group_out() * ldd, ldd, count};
  kernels::wide_conv_weight_grad(images, wide, p.group_out(), a.dw + p.weight_offset(g));
}

// dx += the full correlation of dy (padded by kernel - 1 - padding) with the flipped weight.
void wide_input_grad_group(const ConvPlan& p, const BackwardArrays& a, int64_t n, int64_t g,
                           float* scratch) {
  const kernels::WideConv wide = p.wide_input_grad();
  const kernels::Window2d& w = p.window;
  float* input = scratch;
  float* result = scratch + wide.input_size();
  kernels::wide_input(a.dy + p.output_offset(n, g), wide, w.kernel_h - 1 - w.padding,
                      w.kernel_w - 1 - w.padding, input);
  kernels::wide_conv(input, wide, a.flipped + g * p.group_in() * p.group_out() * p.kernel_size(),
                     p.group_in(), result, wide.padded_positions());
  kernels::narrow_planes(result, p.group_in(), wide.padded_positions(), w.height, wide.width,
                         w.width, a.dx + p.input_offset(n, g), true);
}

// dw += dy columns^T; dx += W^T dy (directly, or through col2im).
void gemm_backward_group(const ConvPlan& p, const BackwardArrays& a, int64_t n, int64_t g,
                         float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions(), out_g = p.group_out();
  const float* dy = a.dy + p.output_offset(n, g);
  const float* w = a.weight + p.weight_offset(g);
  if (a.dw != nullptr)
    kernels::gemm(false, true, out_g, k, positions, 1.0f, dy, positions,
                  columns(p, a.x, n, g, scratch), positions, 1.0f, a.dw + p.weight_offset(g), k);
  if (a.dx == nullptr) return;
  float* dx = a.dx + p.input_offset(n, g);
  if (p.algorithm() == Algorithm::kPointwise) {
    kernels::gemm(true, false, k, positions, out_g, 1.0f, w, k, dy, positions, 1.0f, dx, positions);
  } else {
    kernels::gemm(true, false, k, positions, out_g, 1.0f, w, k, dy, positions, 0.0f, scratch,
                  positions);
    kernels::col2im(scratch, p.group_in(), p.window, dx);
  }
}

}  // namespace

void forward_image(const ConvPlan& p, const float* x, const float* weight, float* out, int64_t n,
                   float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions();
  for (int64_t g = 0; g < p.groups; ++g) {
    if (p.algorithm() == Algorithm::kWide) {
      wide_forward_group(p, x, weight, out, n, g, scratch);
      continue;
    }
    kernels::gemm(false, false, p.group_out(), positions, k, 1.0f, weight + p.weight_offset(g), k,
                  columns(p, x, n, g, scratch), positions, 0.0f, out + p.output_offset(n, g),
                  positions);
  }
}

int64_t backward_scratch(const ConvPlan& p) {
  if (p.algorithm() != Algorithm::kWide) return forward_scratch(p);
  const kernels::WideConv gy = p.wide_input_grad();
  return std::max(wide_grad_images(p) * wide_grad_image_floats(p),
                  gy.input_size() + p.group_in() * gy.padded_positions());
}

void backward_images(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                     float* scratch) {
  for (int64_t g = 0; g < p.groups; ++g) {
    if (p.algorithm() != Algorithm::kWide) {
      for (int64_t n = begin; n < end; ++n) gemm_backward_group(p, a, n, g, scratch);
      continue;
    }
    const int64_t step = wide_grad_images(p);
    if (a.dw != nullptr)
      for (int64_t n = begin; n < end; n += step)
        wide_weight_grad_group(p, a, n, std::min(end, n + step), g, scratch);
    if (a.dx != nullptr)
      for (int64_t n = begin; n < end; ++n) wide_input_grad_group(p, a, n, g, scratch);
  }
}

std::vector<float> flip_weight(const ConvPlan& p, const float* weight) {
  const int64_t in_g = p.group_in(), out_g = p.group_out(), taps = p.kernel_size();
  std::vector<float> flipped(size_t(p.out_channels * in_g * taps));
  for (int64_t g = 0; g < p.groups; ++g)
    for (int64_t co = 0; co < out_g; ++co)
      for (int64_t c = 0; c < in_g; ++c)
        for (int64_t t = 0; t < taps; ++t)
          flipped[size_t(((g * in_g + c) * out_g + co) * taps + taps - 1 - t)] =
              weight[((g * out_g + co) * in_g + c) * taps + t];
  return flipped;
}

}  // namespace trit::conv_image
