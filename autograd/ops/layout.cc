#include "autograd/ops/layout.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/permute.h"

namespace trit {
namespace {

// `axis` of x in [0, rank); throws "<op>: axis 3 out of range for [2,3,4]".
int64_t axis_of(const Tensor& x, int64_t axis, const char* op) {
  const int64_t rank = x.dim();
  check(axis >= -rank && axis < rank, op, [&] {
    return "axis " + std::to_string(axis) + " out of range for " + to_string(x.shape());
  });
  return axis < 0 ? axis + rank : axis;
}

// `shape` with its -1 (if any) replaced by the size that keeps x's element count.
Shape resolve_shape(const char* op, const Shape& from, Shape shape) {
  const Shape asked = shape;
  const auto what = [&](const char* detail) {
    return "cannot reshape " + to_string(from) + " to " + to_string(asked) + detail;
  };
  auto inferred = shape.end();
  int64_t known = 1;
  for (auto it = shape.begin(); it != shape.end(); ++it) {
    if (*it == -1) {
      check(inferred == shape.end(), op, [&] { return what(": more than one -1"); });
      inferred = it;
    } else {
      check(*it >= 0, op, [&] { return what(": negative size"); });
      known *= *it;
    }
  }
  if (inferred != shape.end()) {
    check(known > 0 && numel(from) % known == 0, op, [&] { return what(""); });
    *inferred = numel(from) / known;
  }
  check(numel(shape) == numel(from), op, [&] { return what(""); });
  return shape;
}

// The view op behind reshape and flatten: shares storage; backward adds g's elements, in
// order, onto x's gradient (g viewed back as x's shape).
Tensor view_as(const char* op, const Tensor& x, const Shape& shape) {
  Tensor out = x.view(shape);
  if (needs_grad({x}))
    record(op, {x}, out,
           [x](const Tensor& g) { kernels::axpy(1.0f, g.data(), grad_buffer(x), g.numel()); });
  return out;
}

Tensor permuted_copy(const Tensor& x, const std::vector<int64_t>& perm) {
  Shape shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) shape[i] = x.shape()[perm[i]];
  Tensor out = Tensor::empty(shape);
  kernels::permute(x.data(), x.shape(), perm, out.data());
  return out;
}

// permute with `perm` already validated; backward applies the inverse permutation.
Tensor permute_op(const char* op, const Tensor& x, const std::vector<int64_t>& perm) {
  Tensor out = permuted_copy(x, perm);
  if (needs_grad({x})) {
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
    record(op, {x}, out, [x, inverse](const Tensor& g) {
      kernels::axpy(1.0f, permuted_copy(g, inverse).data(), grad_buffer(x), g.numel());
    });
  }
  return out;
}

// A row-major shape seen around one axis: `outer` blocks of `length` positions of
// `inner` floats each.
struct AxisView {
  int64_t outer = 1, length = 0, inner = 1;
};

AxisView around(const Shape& shape, int64_t axis) {
  AxisView view;
  for (int64_t i = 0; i < axis; ++i) view.outer *= shape[i];
  view.length = shape[axis];
  for (size_t i = axis + 1; i < shape.size(); ++i) view.inner *= shape[i];
  return view;
}

// Positions [src_start, src_start + count) of src's axis are copied (or added) onto
// positions [dst_start, ...) of dst's; both arrays agree outside the axis.
void move_band(const float* src, const AxisView& src_view, int64_t src_start, float* dst,
               const AxisView& dst_view, int64_t dst_start, int64_t count, bool add) {
  const int64_t run = count * src_view.inner;
  for (int64_t o = 0; o < src_view.outer; ++o) {
    const float* from = src + (o * src_view.length + src_start) * src_view.inner;
    float* to = dst + (o * dst_view.length + dst_start) * dst_view.inner;
    if (add) {
      kernels::axpy(1.0f, from, to, run);
    } else {
      std::copy(from, from + run, to);
    }
  }
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  const char* op = "reshape";
  return view_as(op, x, resolve_shape(op, x.shape(), shape));
}

Tensor flatten(const Tensor& x, int64_t start_dim) {
  const char* op = "flatten";
  if (x.dim() == 0) return view_as(op, x, {1});
  const int64_t start = axis_of(x, start_dim, op);
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  shape.push_back(numel(Shape(x.shape().begin() + start, x.shape().end())));
  return view_as(op, x, shape);
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  const char* op = "transpose";
  std::vector<int64_t> perm(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) perm[i] = i;
  std::swap(perm[axis_of(x, dim0, op)], perm[axis_of(x, dim1, op)]);
  return permute_op(op, x, perm);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  const char* op = "permute";
  const int64_t rank = x.dim();
  const std::string where = "dims " + to_string(dims) + " for shape " + to_string(x.shape());
  check(static_cast<int64_t>(dims.size()) == rank, op, where + ": wrong number of dims");
  std::vector<int64_t> perm(rank);
  std::vector<bool> seen(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    perm[i] = axis_of(x, dims[i], op);
    check(!seen[perm[i]], op, where + ": axis " + std::to_string(perm[i]) + " repeats");
    seen[perm[i]] = true;
  }
  return permute_op(op, x, perm);
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  const char* op = "concat";
  check(!xs.empty(), op, "no tensors to join");
  const Shape& first = xs[0].shape();
  const int64_t ax = axis_of(xs[0], axis, op);
  Shape shape = first;
  shape[ax] = 0;
  bool any_requires_grad = false;
  for (const Tensor& x : xs) {
    Shape a = first, b = x.shape();
    check(a.size() == b.size(), op,
          to_string(first) + " and " + to_string(x.shape()) + ": ranks differ");
    a[ax] = b[ax] = 0;
    check(a == b, op,
          to_string(first) + " and " + to_string(x.shape()) + " differ outside axis " +
              std::to_string(ax));
    shape[ax] += x.shape()[ax];
    any_requires_grad = any_requires_grad || x.requires_grad();
  }

  Tensor out = Tensor::empty(shape);
  const AxisView out_view = around(shape, ax);
  std::vector<int64_t> starts;  // where each input begins along the axis
  int64_t start = 0;
  for (const Tensor& x : xs) {
    starts.push_back(start);
    move_band(x.data(), around(x.shape(), ax), 0, out.data(), out_view, start, x.shape()[ax],
              false);
    start += x.shape()[ax];
  }
  if (grad_enabled() && any_requires_grad)
    record(op, xs, out, [xs, ax, starts, out_view](const Tensor& g) {
      for (size_t k = 0; k < xs.size(); ++k) {  // each input takes back its band of g
        const Tensor& x = xs[k];
        if (x.requires_grad())
          move_band(g.data(), out_view, starts[k], grad_buffer(x), around(x.shape(), ax), 0,
                    x.shape()[ax], true);
      }
    });
  return out;
}

Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end) {
  const char* op = "slice";
  const int64_t ax = axis_of(x, axis, op);
  const int64_t size = x.shape()[ax];
  const auto clamp_index = [size](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size);
  };
  const int64_t begin = clamp_index(start);
  const int64_t count = std::max<int64_t>(clamp_index(end) - begin, 0);

  Shape shape = x.shape();
  shape[ax] = count;
  Tensor out = Tensor::empty(shape);
  const AxisView x_view = around(x.shape(), ax), out_view = around(shape, ax);
  move_band(x.data(), x_view, begin, out.data(), out_view, 0, count, false);
  if (needs_grad({x}))
    record(op, {x}, out, [x, x_view, out_view, begin, count](const Tensor& g) {
      // g lands on the sliced band of x's gradient
      move_band(g.data(), out_view, 0, grad_buffer(x), x_view, begin, count, true);
    });
  return out;
}

}  // namespace trit
