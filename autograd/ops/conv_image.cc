#include "autograd/ops/conv_image.h"

#include <algorithm>

#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/gemm.h"

namespace trit::conv_image {

using kernels::WideConv;

Algorithm ConvPlan::algorithm() const {
  const kernels::Window2d& w = window;
  if (w.stride != 1 || w.padding >= w.kernel_h || w.padding >= w.kernel_w)
    return Algorithm::kIm2col;
  if (kernel_size() == 1 && w.padding == 0 && w.plane() % WideConv::kAlign == 0)
    return Algorithm::kPointwise;
  return Algorithm::kWide;
}

// When the shifted layout (WideConv::shifted) pays for its kernel_w-fold copy of an image:
// while that copy stays in L1 (kShiftedL1Floats), or within L2 (kShiftedL2Floats) when the
// wide rows would waste at least a quarter of the work on garbage columns. Measured with
// bench_conv, 1 thread: LeNet conv1 forward 48 -> 65 GFLOP/s, conv2 67 -> 94 and its dW
// 53 -> 67 (4 garbage columns of 12); DenseNet 3x3 48->12 8x8 (2 of 10, a 46 KB copy)
// forward 60 -> 45, so that one stays wide.
constexpr int64_t kShiftedL1Floats = int64_t{1} << 13;
constexpr int64_t kShiftedL2Floats = int64_t{1} << 14;

WideConv ConvPlan::wide_forward() const {
  const kernels::Window2d& w = window;
  const int64_t height = w.height + 2 * w.padding, width = w.width + 2 * w.padding;
  const int64_t floats = group_in() * w.kernel_w * height * w.out_width();
  const bool wasteful = 4 * (w.kernel_w - 1) >= width;
  const bool shifted = w.kernel_w > 1 && algorithm() == Algorithm::kWide &&
                       (floats <= kShiftedL1Floats || (wasteful && floats <= kShiftedL2Floats));
  return {group_in(), height, shifted ? w.out_width() : width, w.kernel_h, w.kernel_w, shifted};
}

bool ConvPlan::wide_input_grad_pays() const {
  // The wide dx computes every input pixel of every padded row against the whole kernel,
  // H * (W + KW - 1) positions, where im2col's W^T dy needs only OH * OW; past 1.5x as many,
  // the gemm + col2im route is faster (LeNet conv2: 3x, measured 53 vs 41 GFLOP/s).
  const kernels::Window2d& w = window;
  return 2 * w.height * (w.width + w.kernel_w - 1) <= 3 * w.out_plane();
}

WideConv ConvPlan::wide_input_grad() const {
  const kernels::Window2d& w = window;
  return {group_out(), w.out_height() + 2 * (w.kernel_h - 1 - w.padding),
          w.out_width() + 2 * (w.kernel_w - 1 - w.padding), w.kernel_h, w.kernel_w};
}

namespace {

// Images per wide weight-gradient call: as many as fit kWideGradFloats of scratch (they
// share the kernel's horizontal sums), at least one; pointwise convs need no scratch and
// take the whole chunk. A function of the shapes alone.
constexpr int64_t kWideGradFloats = int64_t{1} << 17;

int64_t wide_grad_image_floats(const ConvPlan& p) {
  const WideConv wide = p.wide_forward();
  return wide.input_size() + p.group_out() * wide.padded_positions();
}

int64_t wide_grad_images(const ConvPlan& p) {
  if (p.algorithm() == Algorithm::kPointwise) return p.batch;
  return std::max<int64_t>(1, std::min(p.batch, kWideGradFloats / wide_grad_image_floats(p)));
}

// ---- im2col + gemm (strided convs) ------------------------------------------------------

const float* im2col(const ConvPlan& p, const float* x, int64_t n, int64_t g, float* scratch) {
  kernels::im2col(x + p.input_offset(n, g), p.group_in(), p.window, scratch);
  return scratch;
}

// out = W columns (+ bias, a pass of its own).
void im2col_forward(const ConvPlan& p, const ForwardArrays& a, int64_t n, int64_t g,
                    float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions();
  float* out = a.out + p.output_offset(n, g);
  kernels::gemm(false, false, p.group_out(), positions, k, 1.0f, a.weight + p.weight_offset(g), k,
                im2col(p, a.x, n, g, scratch), positions, 0.0f, out, positions);
  if (a.bias == nullptr) return;
  for (int64_t c = 0; c < p.group_out(); ++c)
    kernels::binary(kernels::BinaryOp::kAdd, out + c * positions, 1, a.bias + g * p.group_out() + c,
                    0, out + c * positions, size_t(positions));
}

// dw += dy columns^T.
void im2col_weight_grad(const ConvPlan& p, const BackwardArrays& a, int64_t n, int64_t g,
                        float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions();
  kernels::gemm(false, true, p.group_out(), k, positions, 1.0f, a.dy + p.output_offset(n, g),
                positions, im2col(p, a.x, n, g, scratch), positions, 1.0f,
                a.dw + p.weight_offset(g), k);
}

// Images per dx gemm of the im2col route: as many as fit kInputGradFloats of column matrix
// (they share the gemm's packing of W^T, which costs as much as a small image's product:
// LeNet conv2, 4 images), at least one. A function of the shapes alone.
constexpr int64_t kInputGradFloats = int64_t{1} << 17;

int64_t input_grad_images(const ConvPlan& p) {
  return std::clamp<int64_t>(kInputGradFloats / (p.column_rows() * p.positions()), 1, p.batch);
}

// dx += col2im(W^T dy) for images [begin, end) of group g: one gemm over their dy side by side.
void im2col_input_grad(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                       int64_t g, float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions(), ld = (end - begin) * positions;
  const float* dy = a.dy + p.output_offset(begin, g);
  float* columns = scratch;
  if (end - begin > 1) {  // dy rows of all the images side by side
    float* dys = scratch + k * ld;
    for (int64_t n = begin; n < end; ++n)
      for (int64_t co = 0; co < p.group_out(); ++co)
        std::copy_n(a.dy + p.output_offset(n, g) + co * positions, positions,
                    dys + co * ld + (n - begin) * positions);
    dy = dys;
  }
  kernels::gemm(true, false, k, ld, p.group_out(), 1.0f, a.weight + p.weight_offset(g), k, dy, ld,
                0.0f, columns, ld);
  for (int64_t n = begin; n < end; ++n) {
    float* dx = a.dx + p.input_offset(n, g);
    if (a.dx_fresh) std::fill(dx, dx + p.group_in() * p.window.plane(), 0.0f);
    kernels::col2im(columns + (n - begin) * positions, p.group_in(), p.window, dx, ld);
  }
}

// ---- wide rows (stride 1): the pointwise case runs on the arrays themselves -------------

// The wide or shifted input of the forward and dW from image x (one group).
void forward_input(const ConvPlan& p, const WideConv& wide, const float* x, float* input) {
  const int64_t pad = p.window.padding;
  if (wide.shifted) return kernels::shifted_input(x, wide, pad, input);
  kernels::wide_input(x, wide, pad, pad, input);
}

// Whether wide's positions are exactly the output plane's (no garbage, no rounding tail).
bool exact_positions(const WideConv& wide) {
  return wide.shifted && wide.positions() == wide.padded_positions();
}

void wide_forward(const ConvPlan& p, const ForwardArrays& a, int64_t n, int64_t g, float* scratch) {
  const WideConv wide = p.wide_forward();
  const kernels::Window2d& w = p.window;
  const float* weight = a.weight + p.weight_offset(g);
  const float* bias = a.bias != nullptr ? a.bias + g * p.group_out() : nullptr;
  float* out = a.out + p.output_offset(n, g);
  if (p.algorithm() == Algorithm::kPointwise)
    return kernels::wide_conv(a.x + p.input_offset(n, g), wide, weight, bias, p.group_out(), out,
                              p.positions());
  float* input = scratch;
  forward_input(p, wide, a.x + p.input_offset(n, g), input);
  if (exact_positions(wide))  // the shifted layout's positions are the output's own
    return kernels::wide_conv(input, wide, weight, bias, p.group_out(), out, p.positions());
  float* result = scratch + wide.input_size();
  kernels::wide_conv(input, wide, weight, bias, p.group_out(), result, wide.padded_positions());
  kernels::narrow_planes(result, p.group_out(), wide.padded_positions(), w.out_height(), wide.width,
                         w.out_width(), out, false);
}

// Images [begin, end) of group g for the weight gradient with their dy read in place (as the
// wide kernels' output layout when positions are exact), inputs at `inputs`, input_stride apart.
kernels::WideImages dy_in_place(const ConvPlan& p, const BackwardArrays& a, const float* inputs,
                                int64_t input_stride, int64_t begin, int64_t end, int64_t g) {
  return {
      inputs,        input_stride, a.dy + p.output_offset(begin, g), p.out_channels * p.positions(),
      p.positions(), end - begin};
}

// dw += dy x^T for images [begin, end) of group g over the wide positions (dy widened with
// zeros in the garbage columns, or read in place when the shifted positions are exact).
void wide_weight_grad(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                      int64_t g, float* scratch) {
  const WideConv wide = p.wide_forward();
  const kernels::Window2d& w = p.window;
  const int64_t count = end - begin, ldd = wide.padded_positions();
  float* dw = a.dw + p.weight_offset(g);
  if (p.algorithm() == Algorithm::kPointwise)
    return kernels::wide_conv_weight_grad(
        dy_in_place(p, a, a.x + p.input_offset(begin, g), p.in_channels * w.plane(), begin, end, g),
        wide, p.group_out(), dw);
  float* inputs = scratch;
  float* dys = scratch + count * wide.input_size();
  for (int64_t i = 0; i < count; ++i)
    forward_input(p, wide, a.x + p.input_offset(begin + i, g), inputs + i * wide.input_size());
  if (exact_positions(wide))
    return kernels::wide_conv_weight_grad(
        dy_in_place(p, a, inputs, wide.input_size(), begin, end, g), wide, p.group_out(), dw);
  for (int64_t i = 0; i < count; ++i)
    kernels::widen_planes(a.dy + p.output_offset(begin + i, g), p.group_out(), w.out_height(),
                          w.out_width(), wide.width, ldd, dys + i * p.group_out() * ldd);
  const kernels::WideImages images{inputs, wide.input_size(), dys, p.group_out() * ldd, ldd, count};
  kernels::wide_conv_weight_grad(images, wide, p.group_out(), dw);
}

// dx += the full correlation of dy (padded by kernel - 1 - padding) with the flipped weight.
void wide_input_grad(const ConvPlan& p, const BackwardArrays& a, int64_t n, int64_t g,
                     float* scratch) {
  const WideConv wide = p.wide_input_grad();
  const kernels::Window2d& w = p.window;
  const float* flipped = a.flipped + g * p.group_in() * p.group_out() * p.kernel_size();
  float* dx = a.dx + p.input_offset(n, g);
  if (p.algorithm() == Algorithm::kPointwise)
    return kernels::wide_conv(a.dy + p.output_offset(n, g), wide, flipped, nullptr, p.group_in(),
                              dx, w.plane(), !a.dx_fresh);
  float* input = scratch;
  float* result = scratch + wide.input_size();
  kernels::wide_input(a.dy + p.output_offset(n, g), wide, w.kernel_h - 1 - w.padding,
                      w.kernel_w - 1 - w.padding, input);
  kernels::wide_conv(input, wide, flipped, nullptr, p.group_in(), result, wide.padded_positions());
  kernels::narrow_planes(result, p.group_in(), wide.padded_positions(), w.height, wide.width,
                         w.width, dx, !a.dx_fresh);
}

}  // namespace

int64_t forward_scratch(const ConvPlan& p) {
  switch (p.algorithm()) {
    case Algorithm::kPointwise:
      return 0;
    case Algorithm::kWide:
      return wide_grad_image_floats(p);
    case Algorithm::kIm2col:
      break;
  }
  return p.column_rows() * p.positions();
}

int64_t backward_scratch(const ConvPlan& p) {
  const int64_t columns = std::max(p.column_rows() * p.positions(),
                                   input_grad_images(p) * (p.column_rows() + p.group_out()) *
                                       p.positions());  // dW's, or dx's with the dy copies
  if (p.algorithm() == Algorithm::kIm2col) return columns;
  const int64_t dw =
      p.algorithm() == Algorithm::kPointwise ? 0 : wide_grad_images(p) * wide_grad_image_floats(p);
  if (!p.wide_input_grad_pays()) return std::max(dw, columns);
  const WideConv gy = p.wide_input_grad();
  const int64_t dx = p.algorithm() == Algorithm::kPointwise
                         ? 0
                         : gy.input_size() + p.group_in() * gy.padded_positions();
  return std::max(dw, dx);
}

void forward_image(const ConvPlan& p, const ForwardArrays& a, int64_t n, float* scratch) {
  for (int64_t g = 0; g < p.groups; ++g) {
    if (p.algorithm() == Algorithm::kIm2col) {
      im2col_forward(p, a, n, g, scratch);
    } else {
      wide_forward(p, a, n, g, scratch);
    }
  }
}

void backward_images(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                     float* scratch) {
  const bool im2col_dw = p.algorithm() == Algorithm::kIm2col;
  const bool im2col_dx = im2col_dw || !p.wide_input_grad_pays();
  const int64_t step = im2col_dw ? 1 : wide_grad_images(p);
  for (int64_t g = 0; g < p.groups; ++g) {
    if (a.dw != nullptr)
      for (int64_t n = begin; n < end; n += step) {
        if (im2col_dw) {
          im2col_weight_grad(p, a, n, g, scratch);
        } else {
          wide_weight_grad(p, a, n, std::min(end, n + step), g, scratch);
        }
      }
    if (a.dx == nullptr) continue;
    if (im2col_dx) {
      for (int64_t n = begin; n < end; n += input_grad_images(p))
        im2col_input_grad(p, a, n, std::min(end, n + input_grad_images(p)), g, scratch);
    } else {
      for (int64_t n = begin; n < end; ++n) wide_input_grad(p, a, n, g, scratch);
    }
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
