#include "autograd/ops/conv.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/conv.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/gemm.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/reduce.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

// Weight-gradient chunks: a fixed function of the shapes (never of the thread count).
constexpr int64_t kMaxWeightGradChunks = 16;
// Multiply-adds below which a chunk of images is not worth a thread of its own.
constexpr int64_t kGrain = 1 << 18;

// The sizes of one conv2d call and where group g of image n lives in each array.
struct ConvPlan {
  int64_t batch, in_channels, out_channels, groups;
  kernels::Window2d window;

  int64_t group_in() const { return in_channels / groups; }
  int64_t group_out() const { return out_channels / groups; }
  int64_t kernel_size() const { return window.kernel_h * window.kernel_w; }
  int64_t column_rows() const { return group_in() * kernel_size(); }  // GEMM inner size
  int64_t positions() const { return window.out_plane(); }            // output pixels
  bool pointwise() const { return kernel_size() == 1 && window.stride == 1 && window.padding == 0; }
  int64_t scratch_size() const { return pointwise() ? 0 : column_rows() * positions(); }
  int64_t multiply_adds() const { return batch * out_channels * column_rows() * positions(); }
  int64_t chunks(int64_t max_chunks) const {
    return kernels::worthwhile_chunks(batch, multiply_adds(), kGrain, max_chunks);
  }

  int64_t input_offset(int64_t n, int64_t g) const {
    return (n * in_channels + g * group_in()) * window.plane();
  }
  int64_t output_offset(int64_t n, int64_t g) const {
    return (n * out_channels + g * group_out()) * positions();
  }
  int64_t weight_offset(int64_t g) const { return g * group_out() * column_rows(); }
};

ConvPlan plan_conv(const Tensor& x, const Tensor& weight, const Tensor& bias,
                   const Conv2dOptions& options) {
  const char* op = "conv2d";
  check_nchw(op, x.shape());
  const std::string w_shape = to_string(weight.shape());
  check(weight.dim() == 4, op, "weight " + w_shape + " must be 4-d [Cout,Cin/groups,KH,KW]");
  const int64_t groups = options.groups, out_channels = weight.size(0);
  check(groups >= 1, op, "groups " + std::to_string(groups) + " must be >= 1");
  check(out_channels % groups == 0, op,
        "weight " + w_shape + " has " + std::to_string(out_channels) +
            " output channels, not divisible by groups " + std::to_string(groups));
  check(x.size(1) == weight.size(1) * groups, op,
        "input " + to_string(x.shape()) + " has " + std::to_string(x.size(1)) +
            " channels, weight " + w_shape + " expects " + std::to_string(weight.size(1)) +
            " x groups " + std::to_string(groups));
  if (bias.defined())
    check(bias.shape() == Shape{out_channels}, op,
          "bias " + to_string(bias.shape()) + " must be [" + std::to_string(out_channels) +
              "] for weight " + w_shape);
  const kernels::Window2d window =
      make_window(op, x.shape(), weight.size(2), weight.size(3), options.stride, options.padding);
  return ConvPlan{x.size(0), x.size(1), out_channels, groups, window};
}

// The [column_rows, positions] matrix of group g of image n: the input itself for a
// pointwise conv, else its im2col in `scratch`.
const float* columns(const ConvPlan& p, const float* x, int64_t n, int64_t g, float* scratch) {
  const float* image = x + p.input_offset(n, g);
  if (p.pointwise()) return image;
  kernels::im2col(image, p.group_in(), p.window, scratch);
  return scratch;
}

// out[n] = weight * columns(n) (+ bias), one GEMM per group.
void forward_image(const ConvPlan& p, const float* x, const float* weight, const float* bias,
                   float* out, int64_t n, float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions();
  for (int64_t g = 0; g < p.groups; ++g)
    kernels::gemm(false, false, p.group_out(), positions, k, 1.0f, weight + p.weight_offset(g), k,
                  columns(p, x, n, g, scratch), positions, 0.0f, out + p.output_offset(n, g),
                  positions);
  if (bias == nullptr) return;
  for (int64_t c = 0; c < p.out_channels; ++c) {
    float* plane = out + (n * p.out_channels + c) * positions;
    kernels::binary(kernels::BinaryOp::kAdd, plane, 1, bias + c, 0, plane, positions);
  }
}

// For images [begin, end): dw_chunk = sum of dy columns^T (overwritten), dx += col2im(W^T dy).
// Either output may be nullptr (not wanted).
void backward_images(const ConvPlan& p, const float* x, const float* weight, const float* dy,
                     float* dx, float* dw_chunk, int64_t begin, int64_t end, float* scratch) {
  const int64_t k = p.column_rows(), positions = p.positions(), out_g = p.group_out();
  for (int64_t n = begin; n < end; ++n)
    for (int64_t g = 0; g < p.groups; ++g) {
      const float* dy_g = dy + p.output_offset(n, g);
      const float* w_g = weight + p.weight_offset(g);
      if (dw_chunk != nullptr)
        kernels::gemm(false, true, out_g, k, positions, 1.0f, dy_g, positions,
                      columns(p, x, n, g, scratch), positions, n == begin ? 0.0f : 1.0f,
                      dw_chunk + p.weight_offset(g), k);
      if (dx == nullptr) continue;
      float* dx_g = dx + p.input_offset(n, g);
      if (p.pointwise()) {
        kernels::gemm(true, false, k, positions, out_g, 1.0f, w_g, k, dy_g, positions, 1.0f, dx_g,
                      positions);
      } else {
        kernels::gemm(true, false, k, positions, out_g, 1.0f, w_g, k, dy_g, positions, 0.0f,
                      scratch, positions);
        kernels::col2im(scratch, p.group_in(), p.window, dx_g);
      }
    }
}

// db[c] += sum of dy over images and positions (image order, per channel).
void bias_backward(const ConvPlan& p, const float* dy, float* db) {
  kernels::parallel_for(p.out_channels, [&](int64_t c) {
    double total = 0.0;
    for (int64_t n = 0; n < p.batch; ++n)
      total += kernels::sum(dy + (n * p.out_channels + c) * p.positions(), p.positions());
    db[c] += float(total);
  });
}

void conv_backward(const ConvPlan& p, const Tensor& x, const Tensor& weight, const Tensor& dy,
                   float* dx, float* dw) {
  const int64_t chunks = p.chunks(kMaxWeightGradChunks);
  const int64_t dw_size = weight.numel();
  Buffer dw_chunks(dw != nullptr ? size_t(chunks * dw_size) : 0);
  kernels::parallel_for_chunks(p.batch, chunks, [&](int64_t c, int64_t begin, int64_t end) {
    Buffer scratch(p.scratch_size());
    float* dw_chunk = dw != nullptr ? dw_chunks.data() + c * dw_size : nullptr;
    backward_images(p, x.data(), weight.data(), dy.data(), dx, dw_chunk, begin, end,
                    scratch.data());
  });
  if (dw == nullptr) return;
  for (int64_t c = 0; c < chunks; ++c)  // fixed order: thread-count independent
    kernels::axpy(1.0f, dw_chunks.data() + c * dw_size, dw, dw_size);
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options) {
  const ConvPlan p = plan_conv(x, weight, bias, options);
  Tensor out =
      Tensor::empty({p.batch, p.out_channels, p.window.out_height(), p.window.out_width()});
  const float* bias_data = bias.defined() ? bias.data() : nullptr;
  kernels::parallel_for_chunks(
      p.batch, p.chunks(kernels::num_threads()), [&](int64_t, int64_t begin, int64_t end) {
        Buffer scratch(p.scratch_size());
        for (int64_t n = begin; n < end; ++n)
          forward_image(p, x.data(), weight.data(), bias_data, out.data(), n, scratch.data());
      });
  if (needs_grad({x, weight, bias})) {
    std::vector<Tensor> inputs{x, weight};
    if (bias.defined()) inputs.push_back(bias);
    record("conv2d", inputs, out, [p, x, weight, bias](const Tensor& g) {
      Tensor grad_x = x, grad_w = weight, grad_b = bias;
      if (bias.defined() && bias.requires_grad()) bias_backward(p, g.data(), grad_b.mutable_grad());
      float* dx = x.requires_grad() ? grad_x.mutable_grad() : nullptr;
      float* dw = weight.requires_grad() ? grad_w.mutable_grad() : nullptr;
      if (dx != nullptr || dw != nullptr) conv_backward(p, x, weight, g, dx, dw);
    });
  }
  return out;
}

}  // namespace trit
