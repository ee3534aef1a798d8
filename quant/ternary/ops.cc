#include "quant/ternary/ops.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/conv.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/window.h"
#include "quant/ternary/kernels/gemm.h"
#include "quant/ternary/kernels/sparse_int16.h"

namespace trit::quant {
namespace {

std::string weight_shape(const PackedTernary& w) { return to_string(Shape{w.rows, w.cols}); }

// The size checks every ternary op shares: a consistent packed weight and a [rows] bias.
void check_weight_and_bias(const PackedTernary& w, const Tensor& bias, const char* op) {
  check(w.rows >= 0 && w.cols >= 0 &&
            int64_t(w.bytes.size()) == w.rows * ternary_bytes_per_row(w.cols),
        op, [&] {
          return "packed weight " + weight_shape(w) + " holds " +
                 std::to_string(w.bytes.size()) + " bytes";
        });
  check(!bias.defined() || (bias.dim() == 1 && bias.size(0) == w.rows), op, [&] {
    return "bias " + (bias.defined() ? to_string(bias.shape()) : "") + " does not match weight " +
           weight_shape(w);
  });
}

const float* data_or_null(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

// Multiply-adds below which a chunk of images is not worth a thread of its own.
constexpr int64_t kImageGrain = int64_t{1} << 18;
// Scratch floats (columns, padded inputs, wide outputs) one group of images may take: 1 MiB.
constexpr int64_t kScratchBudget = int64_t{1} << 18;

// One ternary_conv2d call; each method computes the images [begin, end) by one algorithm,
// in groups of images that share a kernel call (the decoded weights serve the whole group).
struct ConvRun {
  const float* x;
  const PackedTernary& w;
  int64_t channels;
  kernels::Window2d window;
  const float* bias;
  float* out;
  const kernels::SparseTernary* sparse;  // null: the dense path
  float activation_scale;                 // > 0: 8-bit activations (sparse path only)

  int64_t taps() const { return w.cols; }
  int64_t image_size() const { return channels * window.plane(); }
  int64_t out_size() const { return w.rows * window.out_plane(); }

  // y_b = level * codes B_b + bias for the images of `runs`, B_b [taps, n].
  void product(const kernels::TapRuns& runs, int64_t n, float* y) const {
    if (activation_scale > 0) return product_int16(runs, n, y);
    if (sparse) return kernels::sparse_ternary_taps(runs, n, *sparse, w.level, bias, y);
    kernels::ternary_gemm_taps(runs, taps(), n, w.bytes.data(), w.rows,
                               ternary_bytes_per_row(w.cols), w.level, bias, y);
  }

  // product() on the runs' values quantised to 8 bits (kernels/sparse_int16.h).
  void product_int16(const kernels::TapRuns& runs, int64_t n, float* y) const {
    const int64_t values = runs.batch * runs.image_stride;
    std::vector<int16_t, AlignedAllocator<int16_t>> quantised(static_cast<size_t>(values));
    kernels::quantize_activations(runs.input, values, activation_scale, quantised.data());
    kernels::sparse_ternary_taps_int16(
        {quantised.data(), runs.image_stride, runs.offsets, runs.batch}, n, *sparse,
        w.level * activation_scale, bias, y);
  }

  // product() for `count` column matrices [taps, out_plane].
  void columns(const float* matrices, int64_t count, float* y) const {
    const int64_t n = window.out_plane();
    const std::vector<int64_t> offsets = kernels::column_offsets(taps(), n);
    product({matrices, taps() * n, offsets.data(), count}, n, y);
  }

  // Images per group when each takes `floats` of scratch: a function of the shapes alone.
  static int64_t group(int64_t floats, int64_t begin, int64_t end) {
    return std::clamp<int64_t>(kScratchBudget / std::max<int64_t>(floats, 1), 1, end - begin);
  }

  // 1x1, stride 1, no padding: the images already are the column matrices.
  void pointwise(int64_t begin, int64_t end) const {
    columns(x + begin * image_size(), end - begin, out + begin * out_size());
  }

  // Strided: im2col per image, then the column matrices.
  void im2col(int64_t begin, int64_t end) const {
    const int64_t matrix = taps() * window.out_plane(), images = group(matrix, begin, end);
    Buffer scratch(size_t(images * matrix));
    for (int64_t first = begin; first < end; first += images) {
      const int64_t count = std::min(images, end - first);
      for (int64_t i = 0; i < count; ++i)
        kernels::im2col(x + (first + i) * image_size(), channels, window,
                        scratch.data() + i * matrix);
      columns(scratch.data(), count, out + first * out_size());
    }
  }

  // Stride 1 (kernels::WideConv): each image zero-padded once, its taps read as shifted runs
  // of it (no column matrix), the wide outputs narrowed to the output planes.
  void wide(int64_t begin, int64_t end) const {
    const kernels::WideConv g{channels, window.height + 2 * window.padding,
                              window.width + 2 * window.padding, window.kernel_h, window.kernel_w};
    const int64_t n = g.padded_positions(), wide_out = w.rows * n;
    const int64_t images = group(g.input_size() + wide_out, begin, end);
    Buffer scratch(size_t(images * (g.input_size() + wide_out)));
    float* inputs = scratch.data();
    float* results = inputs + images * g.input_size();
    std::vector<int64_t> offsets;  // tap (c, ky, kx) in weight column order
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t ky = 0; ky < g.kernel_h; ++ky)
        for (int64_t kx = 0; kx < g.kernel_w; ++kx)
          offsets.push_back(c * g.plane() + ky * g.width + kx);
    // With 8-bit activations each image is padded and quantised in one pass.
    std::vector<int16_t, AlignedAllocator<int16_t>> quantised(
        size_t(activation_scale > 0 ? images * g.input_size() : 0));
    for (int64_t first = begin; first < end; first += images) {
      const int64_t count = std::min(images, end - first);
      if (activation_scale > 0) {
        for (int64_t i = 0; i < count; ++i)
          kernels::quantize_padded(x + (first + i) * image_size(), g, window.padding,
                                   window.padding, activation_scale,
                                   quantised.data() + i * g.input_size());
        kernels::sparse_ternary_taps_int16(
            {quantised.data(), g.input_size(), offsets.data(), count}, n, *sparse,
            w.level * activation_scale, bias, results);
      } else {
        for (int64_t i = 0; i < count; ++i)
          kernels::wide_input(x + (first + i) * image_size(), g, window.padding, window.padding,
                              inputs + i * g.input_size());
        product({inputs, g.input_size(), offsets.data(), count}, n, results);
      }
      for (int64_t i = 0; i < count; ++i)
        kernels::narrow_planes(results + i * wide_out, w.rows, n, window.out_height(), g.width,
                               window.out_width(), out + (first + i) * out_size(), false);
    }
  }
};

// Whether an op given `sparse` for w takes the sparse path (at most max_density of the codes
// non-zero); throws when the index is of other codes.
bool use_sparse(const PackedTernary& w, const kernels::SparseTernary* sparse, const char* op,
                double max_density) {
  check(!sparse || (sparse->rows == w.rows && sparse->cols == w.cols), op, [&] {
    return "sparse index [" + std::to_string(sparse->rows) + "," + std::to_string(sparse->cols) +
           "] does not match weight " + weight_shape(w);
  });
  return sparse && sparse->density() <= max_density;
}

}  // namespace

Tensor ternary_linear(const Tensor& x, const PackedTernary& w, const Tensor& bias,
                      const kernels::SparseTernary* sparse) {
  check_weight_and_bias(w, bias, "ternary_linear");
  check(x.dim() == 2 && x.size(1) == w.cols, "ternary_linear", [&] {
    return "input " + to_string(x.shape()) + " does not match weight " + weight_shape(w);
  });
  Tensor out = Tensor::empty({x.size(0), w.rows});
  const int64_t n = x.size(0);
  if (n <= kSparseLinearRows && use_sparse(w, sparse, "ternary_linear", kSparseLinearDensity)) {
    kernels::sparse_ternary_linear(x.data(), n, *sparse, w.level, data_or_null(bias),
                                   out.data());
    return out;
  }
  // More rows: y^T = level * codes x^T + bias, the taps product over the rows of x^T (input
  // p's n values a contiguous run), then transposed back. Per row of x it costs the
  // additions of the non-zero codes and moves rows + cols values twice; it pays where that
  // is under a quarter of the dense product's rows * cols multiply-adds (measured on
  // LeNet-5's fc1 and fc2, AVX2: 2.6x faster for fc1 at 15 % non-zero, slower for fc2's 10
  // rows).
  const bool transposed_pays =
      sparse && 4 * (sparse->nonzero() + 2 * (w.rows + w.cols)) < w.rows * w.cols;
  if (n > kSparseLinearRows && use_sparse(w, sparse, "ternary_linear", kSparseDensity) &&
      transposed_pays) {
    std::vector<float> columns(size_t(w.cols * n)), rows(size_t(w.rows * n));
    const float* in = x.data();
    float* y = out.data();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < w.cols; ++p) columns[size_t(p * n + i)] = in[i * w.cols + p];
    const std::vector<int64_t> offsets = kernels::column_offsets(w.cols, n);
    kernels::sparse_ternary_taps({columns.data(), 0, offsets.data(), 1}, n, *sparse, w.level,
                                 data_or_null(bias), rows.data());
    for (int64_t o = 0; o < w.rows; ++o)
      for (int64_t i = 0; i < n; ++i) y[i * w.rows + o] = rows[size_t(o * n + i)];
    return out;
  }
  kernels::ternary_gemm(x.data(), x.size(0), w.cols, w.bytes.data(), w.rows,
                        ternary_bytes_per_row(w.cols), w.level, data_or_null(bias), out.data());
  return out;
}

Tensor ternary_conv2d(const Tensor& x, const PackedTernary& w, int64_t kernel, int64_t stride,
                      int64_t padding, const Tensor& bias, const kernels::SparseTernary* sparse,
                      float activation_scale) {
  const char* op = "ternary_conv2d";
  check_weight_and_bias(w, bias, op);
  const kernels::Window2d window = make_window(op, x.shape(), kernel, kernel, stride, padding);
  const int64_t batch = x.size(0), channels = x.size(1), taps = channels * kernel * kernel;
  check(w.cols == taps, op, [&] {
    return "input " + to_string(x.shape()) + " with a " + std::to_string(kernel) + "x" +
           std::to_string(kernel) + " kernel needs " + std::to_string(taps) +
           " weight columns, weight " + weight_shape(w) + " has " + std::to_string(w.cols);
  });
  Tensor out = Tensor::empty({batch, w.rows, window.out_height(), window.out_width()});
  check(activation_scale >= 0 && std::isfinite(activation_scale), op, [&] {
    return "activation scale " + std::to_string(activation_scale) + " is not a finite scale >= 0";
  });
  const bool int16 = activation_scale > 0;
  check(!int16 || sparse, op, "8-bit activations need the index of the non-zero codes");
  // 8-bit activations always take the sparse path: its additions in 16-bit lanes beat the
  // dense float kernel at every share of non-zero codes VNQ leaves.
  const bool skip_zeros = use_sparse(w, sparse, op, kSparseDensity) || int16;
  const ConvRun run{x.data(),   w,
                    channels,   window,
                    data_or_null(bias), out.data(),
                    skip_zeros ? sparse : nullptr, activation_scale};
  const int64_t chunks = kernels::worthwhile_chunks(
      batch, batch * w.rows * taps * window.out_plane(), kImageGrain, kernels::num_threads());
  kernels::parallel_for_chunks(batch, chunks, [&](int64_t, int64_t begin, int64_t end) {
    if (kernel == 1 && stride == 1 && padding == 0) return run.pointwise(begin, end);
    if (stride == 1 && padding < kernel) return run.wide(begin, end);
    run.im2col(begin, end);
  });
  return out;
}

}  // namespace trit::quant
