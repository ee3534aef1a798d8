#include "autograd/ops/matmul.h"

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/gemm.h"

namespace trit {
namespace {

// Row-major matrix views: C (+)= op(A) op(B), the leading dimension being the row width.
// `accumulate` adds into c (backward), otherwise c is overwritten (forward).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c, bool accumulate) {
  kernels::gemm(trans_a, trans_b, m, n, k, 1.0f, a, trans_a ? m : k, b, trans_b ? k : n,
                accumulate ? 1.0f : 0.0f, c, n);
}

// The sizes of a (batched) matmul: `batch` products of [m,k] x [k,n]; b_step is 0 when
// b is shared by the whole batch.
struct MatmulDims {
  int64_t batch, m, k, n, b_step;
  Shape out;
};

MatmulDims matmul_dims(const char* op, const Shape& a, const Shape& b) {
  // messages built only on failure: matmul runs on every step
  const auto shapes = [&](const char* what) { return to_string(a) + " x " + to_string(b) + what; };
  check(a.size() >= 2 && b.size() >= 2, op,
        [&] { return shapes(": operands need at least 2 dimensions"); });
  const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  check(b[b.size() - 2] == k, op, [&] { return shapes(": inner dimensions differ"); });
  const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  check(b_batch.empty() || b_batch == a_batch, op,
        [&] { return shapes(": batch dimensions differ"); });
  Shape out = a_batch;
  out.push_back(m);
  out.push_back(n);
  return {numel(a_batch), m, k, n, b_batch.empty() ? 0 : k * n, out};
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  const MatmulDims d = matmul_dims(op, a.shape(), b.shape());
  Tensor out = Tensor::empty(d.out);
  if (d.b_step == 0) {  // shared b: the batch is one [batch*m, k] x [k, n] product
    gemm(false, false, d.batch * d.m, d.n, d.k, a.data(), b.data(), out.data(), false);
  } else {
    for (int64_t i = 0; i < d.batch; ++i)
      gemm(false, false, d.m, d.n, d.k, a.data() + i * d.m * d.k, b.data() + i * d.b_step,
           out.data() + i * d.m * d.n, false);
  }
  if (needs_grad({a, b}))
    record(op, {a, b}, out, [a, b, d](const Tensor& g) {
      if (a.requires_grad()) {  // da = g b^T
        float* grad = grad_buffer(a);
        for (int64_t i = 0; i < d.batch; ++i)
          gemm(false, true, d.m, d.k, d.n, g.data() + i * d.m * d.n, b.data() + i * d.b_step,
               grad + i * d.m * d.k, true);
      }
      if (b.requires_grad()) {  // db = a^T g, one product per batch entry or over all rows
        float* grad = grad_buffer(b);
        if (d.b_step == 0) {
          gemm(true, false, d.k, d.n, d.batch * d.m, a.data(), g.data(), grad, true);
        } else {
          for (int64_t i = 0; i < d.batch; ++i)
            gemm(true, false, d.k, d.n, d.m, a.data() + i * d.m * d.k, g.data() + i * d.m * d.n,
                 grad + i * d.b_step, true);
        }
      }
    });
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  const Shape& ws = weight.shape();
  check(ws.size() == 2, op, [&] { return "weight " + to_string(ws) + " must be 2-D [out,in]"; });
  const int64_t out_features = ws[0], in_features = ws[1];
  check(x.dim() == 2 && x.size(1) == in_features, op, [&] {
    return "input " + to_string(x.shape()) + " does not match weight " + to_string(ws);
  });
  const bool has_bias = bias.defined();
  check(!has_bias || (bias.dim() == 1 && bias.size(0) == out_features), op, [&] {
    return "bias " + (has_bias ? to_string(bias.shape()) : "") + " does not match weight " +
           to_string(ws);
  });
  const int64_t batch = x.size(0);

  Tensor out = Tensor::empty({batch, out_features});
  if (has_bias)  // every row starts as the bias; the gemm adds x W^T to it
    for (int64_t r = 0; r < batch; ++r)
      std::copy(bias.data(), bias.data() + out_features, out.data() + r * out_features);
  gemm(false, true, batch, out_features, in_features, x.data(), weight.data(), out.data(),
       has_bias);

  if (needs_grad({x, weight, bias})) {
    std::vector<Tensor> inputs{x, weight};
    if (has_bias) inputs.push_back(bias);
    record(op, std::move(inputs), out,
           [x, weight, bias, batch, in_features, out_features](const Tensor& g) {
             if (x.requires_grad())  // dx = g W: [N,out] x [out,in]
               gemm(false, false, batch, in_features, out_features, g.data(), weight.data(),
                    grad_buffer(x), true);
             if (weight.requires_grad())  // dW = g^T x: [out,N] x [N,in]
               gemm(true, false, out_features, in_features, batch, g.data(), x.data(),
                    grad_buffer(weight), true);
             if (bias.defined() && bias.requires_grad()) {  // db = g^T 1: [out,N] x [N,1]
               const Tensor ones = Tensor::ones({batch});
               gemm(true, false, out_features, 1, batch, g.data(), ones.data(), grad_buffer(bias),
                    true);
             }
           });
  }
  return out;
}

}  // namespace trit
