#include "quant/ternary_ops.h"

#include <algorithm>
#include <string>

#include "autograd/error.h"
#include "autograd/kernels/conv.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/ternary_gemm.h"
#include "autograd/ops/window.h"

namespace trit::quant {
namespace {

std::string weight_shape(const PackedTernary& w) { return to_string(Shape{w.rows, w.cols}); }

// The size checks every ternary op shares: a consistent packed weight and a [rows] bias.
void check_weight_and_bias(const PackedTernary& w, const Tensor& bias, const char* op) {
  check(w.rows >= 0 && w.cols >= 0 &&
            int64_t(w.bytes.size()) == w.rows * ternary_bytes_per_row(w.cols),
        op,
        "packed weight " + weight_shape(w) + " holds " + std::to_string(w.bytes.size()) + " bytes");
  check(!bias.defined() || bias.shape() == Shape{w.rows}, op,
        "bias " + (bias.defined() ? to_string(bias.shape()) : "") + " does not match weight " +
            weight_shape(w));
}

const float* data_or_null(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

// Multiply-adds below which a chunk of images is not worth a thread of its own.
constexpr int64_t kImageGrain = int64_t{1} << 18;
// Column floats (im2col output) one group of images may take: 1 MiB.
constexpr int64_t kColumnsBudget = int64_t{1} << 18;

}  // namespace

Tensor ternary_linear(const Tensor& x, const PackedTernary& w, const Tensor& bias) {
  check_weight_and_bias(w, bias, "ternary_linear");
  check(x.dim() == 2 && x.size(1) == w.cols, "ternary_linear",
        "input " + to_string(x.shape()) + " does not match weight " + weight_shape(w));
  Tensor out = Tensor::empty({x.size(0), w.rows});
  kernels::ternary_gemm(x.data(), x.size(0), w.cols, w.bytes.data(), w.rows,
                        ternary_bytes_per_row(w.cols), w.level, data_or_null(bias), out.data());
  return out;
}

Tensor ternary_conv2d(const Tensor& x, const PackedTernary& w, int64_t kernel, int64_t stride,
                      int64_t padding, const Tensor& bias) {
  const char* op = "ternary_conv2d";
  check_weight_and_bias(w, bias, op);
  const kernels::Window2d window = make_window(op, x.shape(), kernel, kernel, stride, padding);
  const int64_t batch = x.size(0), channels = x.size(1), taps = channels * kernel * kernel;
  check(w.cols == taps, op,
        "input " + to_string(x.shape()) + " with a " + std::to_string(kernel) + "x" +
            std::to_string(kernel) + " kernel needs " + std::to_string(taps) +
            " weight columns, weight " + weight_shape(w) + " has " + std::to_string(w.cols));
  const int64_t positions = window.out_plane();
  const bool pointwise = kernel == 1 && stride == 1 && padding == 0;  // x already is columns
  Tensor out = Tensor::empty({batch, w.rows, window.out_height(), window.out_width()});
  const float* bias_data = data_or_null(bias);
  const float* x_data = x.data();
  float* out_data = out.data();
  const int64_t chunks = kernels::worthwhile_chunks(batch, batch * w.rows * taps * positions,
                                                    kImageGrain, kernels::num_threads());
  const int64_t image_size = channels * window.plane(), out_size = w.rows * positions;
  const auto run = [&](const float* columns, int64_t images, float* y) {
    kernels::ternary_gemm_columns(columns, images, taps, positions, w.bytes.data(), w.rows,
                                  ternary_bytes_per_row(w.cols), w.level, bias_data, y);
  };
  kernels::parallel_for_chunks(batch, chunks, [&](int64_t, int64_t begin, int64_t end) {
    if (pointwise)
      return run(x_data + begin * image_size, end - begin, out_data + begin * out_size);
    // Groups of images share one kernel call (the decoded weights serve the whole group).
    const int64_t group = std::clamp<int64_t>(
        kColumnsBudget / std::max<int64_t>(taps * positions, 1), 1, end - begin);
    Buffer columns(size_t(group * taps * positions));
    for (int64_t first = begin; first < end; first += group) {
      const int64_t images = std::min(group, end - first);
      for (int64_t i = 0; i < images; ++i)
        kernels::im2col(x_data + (first + i) * image_size, channels, window,
                        columns.data() + i * taps * positions);
      run(columns.data(), images, out_data + first * out_size);
    }
  });
  return out;
}

}  // namespace trit::quant
