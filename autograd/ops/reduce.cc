#include "autograd/ops/reduce.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/reduce.h"
#include "autograd/ops/broadcast.h"

namespace trit {
namespace {

// The validated axes of one reduction and the shapes it produces.
struct Reduction {
  std::vector<bool> reduced;  // per axis of x
  Shape keep_shape;           // x's shape with reduced axes set to 1
  Shape out_shape;            // keep_shape, or without the reduced axes
  int64_t count = 1;          // elements folded into each output
};

Reduction plan_reduction(const char* op, const Shape& shape, const std::vector<int64_t>& axes,
                         bool keepdim) {
  Reduction plan;
  plan.reduced.assign(shape.size(), false);
  for (int64_t axis : axes) {
    const int64_t a = split_at_axis(shape, axis, op).axis;
    check(!plan.reduced[a], op,
          "axis " + std::to_string(axis) + " given twice for " + to_string(shape));
    plan.reduced[a] = true;
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    plan.keep_shape.push_back(plan.reduced[i] ? 1 : shape[i]);
    if (!plan.reduced[i] || keepdim) plan.out_shape.push_back(plan.keep_shape[i]);
    if (plan.reduced[i]) plan.count *= shape[i];
  }
  return plan;
}

std::vector<int64_t> all_axes(const Tensor& x) {
  std::vector<int64_t> axes(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) axes[i] = i;
  return axes;
}

// out (numel of keep_shape) = x summed over the reduced axes. Adjacent axes that are both
// reduced or both kept are merged; each run of reduced axes is one sum_axis pass,
// innermost first, so the order of additions depends on the shape alone.
void reduce_sum(const float* x, const Shape& shape, const std::vector<bool>& reduced, float* out) {
  std::vector<int64_t> dims;
  std::vector<bool> runs;  // whether dims[i] is reduced
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;  // changes nothing either way
    if (!runs.empty() && runs.back() == reduced[i]) {
      dims.back() *= shape[i];
    } else {
      dims.push_back(shape[i]);
      runs.push_back(reduced[i]);
    }
  }
  std::vector<float> current, next;
  const float* src = x;
  for (;;) {
    const auto last = std::find(runs.rbegin(), runs.rend(), true);
    if (last == runs.rend()) {  // nothing (left) to reduce
      if (src == x) std::copy(x, x + numel(dims), out);
      return;
    }
    const size_t t = runs.rend() - last - 1;
    const int64_t outer = numel(Shape(dims.begin(), dims.begin() + t));
    const int64_t inner = numel(Shape(dims.begin() + t + 1, dims.end()));
    const int64_t r = dims[t];
    dims.erase(dims.begin() + t);
    runs.erase(runs.begin() + t);
    const bool final_pass = std::find(runs.begin(), runs.end(), true) == runs.end();
    if (!final_pass) next.resize(outer * inner);
    kernels::sum_axis(src, outer, r, inner, final_pass ? out : next.data());
    if (final_pass) return;
    current.swap(next);
    src = current.data();
  }
}

// sum (scale 1) or mean (scale 1/count) over `axes`; backward broadcasts scale * g back.
Tensor scaled_sum(const char* op, const Tensor& x, const std::vector<int64_t>& axes, bool keepdim,
                  bool mean) {
  const Reduction plan = plan_reduction(op, x.shape(), axes, keepdim);
  const float scale = !mean ? 1.0f : plan.count ? 1.0f / plan.count : NAN;
  Tensor out = Tensor::empty(plan.out_shape);
  reduce_sum(x.data(), x.shape(), plan.reduced, out.data());
  if (mean) kernels::scale(scale, out.data(), out.numel());
  if (needs_grad({x}))
    record(op, {x}, out, [x, keep_shape = plan.keep_shape, scale](const Tensor& g) {
      std::vector<float> scaled(g.data(), g.data() + g.numel());
      kernels::scale(scale, scaled.data(), scaled.size());
      float* dx = grad_buffer(x);
      const BroadcastPlan spread = plan_broadcast(x.shape(), keep_shape, x.shape());
      for (int64_t r = 0; r < spread.rows; ++r) {
        float* row = dx + spread.a_offset[r];
        kernels::binary(kernels::BinaryOp::kAdd, row, spread.a_step,
                        scaled.data() + spread.b_offset[r], spread.b_step, row, spread.row_length);
      }
    });
  return out;
}

// Values and first-argmax indices of x along `axis`, and the output shape.
struct Maxima {
  AxisSplit split;
  Shape out_shape;
  std::vector<float> values;
  std::vector<int64_t> index;
};

Maxima maxima(const char* op, const Tensor& x, int64_t axis, bool keepdim) {
  Maxima m;
  m.split = split_at_axis(x.shape(), axis, op);
  check(m.split.size > 0, op,
        "axis " + std::to_string(axis) + " of " + to_string(x.shape()) + " is empty");
  m.out_shape = plan_reduction(op, x.shape(), {axis}, keepdim).out_shape;
  m.values.resize(m.split.outer * m.split.inner);
  m.index.resize(m.values.size());
  kernels::max_axis(x.data(), m.split.outer, m.split.size, m.split.inner, m.values.data(),
                    m.index.data());
  return m;
}

}  // namespace

Tensor sum(const Tensor& x) { return sum(x, all_axes(x), false); }
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  return scaled_sum("sum", x, axes, keepdim, false);
}
Tensor mean(const Tensor& x) { return mean(x, all_axes(x), false); }
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
  return scaled_sum("mean", x, axes, keepdim, true);
}

Tensor max(const Tensor& x, int64_t axis, bool keepdim) {
  const char* op = "max";
  Maxima m = maxima(op, x, axis, keepdim);
  Tensor out = Tensor::from(m.out_shape, m.values);
  if (needs_grad({x}))
    record(op, {x}, out, [x, split = m.split, index = std::move(m.index)](const Tensor& g) {
      float* dx = grad_buffer(x);
      for (int64_t p = 0; p < g.numel(); ++p) {  // p = o * inner + j
        const int64_t o = p / split.inner, j = p % split.inner;
        dx[(o * split.size + index[p]) * split.inner + j] += g.data()[p];
      }
    });
  return out;
}

std::vector<int64_t> argmax(const Tensor& x, int64_t axis) {
  return maxima("argmax", x, axis, false).index;
}

}  // namespace trit
