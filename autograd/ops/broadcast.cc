#include "autograd/ops/broadcast.h"

#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/reduce.h"

namespace trit {
namespace {

// Pads `shape` with leading 1s to `rank` dimensions.
Shape left_pad(const Shape& shape, size_t rank) {
  Shape padded(rank - shape.size(), 1);
  padded.insert(padded.end(), shape.begin(), shape.end());
  return padded;
}

}  // namespace

BroadcastPlan plan_broadcast(const Shape& a_shape, const Shape& b_shape, const Shape& out) {
  const size_t rank = out.size();
  const Shape a = left_pad(a_shape, rank), b = left_pad(b_shape, rank);

  // Merge adjacent dimensions where each operand either walks both or repeats both.
  std::vector<int64_t> dims, a_walks, b_walks;
  for (size_t i = 0; i < rank; ++i) {
    if (out[i] == 1) continue;  // size-1 dims change nothing
    const bool aw = a[i] != 1, bw = b[i] != 1;
    if (!dims.empty() && a_walks.back() == aw && b_walks.back() == bw) {
      dims.back() *= out[i];
    } else {
      dims.push_back(out[i]);
      a_walks.push_back(aw);
      b_walks.push_back(bw);
    }
  }

  BroadcastPlan plan;
  if (dims.empty()) {  // every dimension is 1: one run of one element
    plan.rows = numel(out);
    plan.row_length = 1;
    plan.a_offset.assign(plan.rows, 0);
    plan.b_offset.assign(plan.rows, 0);
    return plan;
  }
  plan.row_length = dims.back();
  plan.a_step = a_walks.back();
  plan.b_step = b_walks.back();
  dims.pop_back();
  plan.rows = numel(dims);

  // Strides of the merged outer dimensions in each operand (0 where it repeats).
  const size_t outer = dims.size();
  std::vector<int64_t> a_stride(outer), b_stride(outer);
  int64_t a_size = plan.a_step ? plan.row_length : 1, b_size = plan.b_step ? plan.row_length : 1;
  for (size_t i = outer; i-- > 0;) {
    a_stride[i] = a_walks[i] ? a_size : 0;
    b_stride[i] = b_walks[i] ? b_size : 0;
    if (a_walks[i]) a_size *= dims[i];
    if (b_walks[i]) b_size *= dims[i];
  }
  plan.a_offset.resize(plan.rows);
  plan.b_offset.resize(plan.rows);
  std::vector<int64_t> index(outer, 0);
  for (int64_t r = 0; r < plan.rows; ++r) {
    int64_t ao = 0, bo = 0;
    for (size_t i = 0; i < outer; ++i) {
      ao += index[i] * a_stride[i];
      bo += index[i] * b_stride[i];
    }
    plan.a_offset[r] = ao;
    plan.b_offset[r] = bo;
    for (size_t i = outer; i-- > 0;) {  // odometer increment
      if (++index[i] < dims[i]) break;
      index[i] = 0;
    }
  }
  return plan;
}

void sum_to_shape_add(const Tensor& grad, const Shape& target, float* dst) {
  const Shape& out = grad.shape();
  if (out == target) return kernels::axpy(1.0f, grad.data(), dst, grad.numel());
  // Treat it as broadcasting `target` (operand a) against `out` (operand b, walks fully).
  const BroadcastPlan plan = plan_broadcast(target, out, out);
  for (int64_t r = 0; r < plan.rows; ++r) {
    const float* g = grad.data() + plan.b_offset[r];
    float* d = dst + plan.a_offset[r];
    if (plan.a_step) {
      kernels::axpy(1.0f, g, d, plan.row_length);
    } else {
      d[0] += kernels::sum(g, plan.row_length);
    }
  }
}

}  // namespace trit
