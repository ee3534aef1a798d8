#include "autograd/ops/arithmetic.h"

#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/ops/broadcast.h"

namespace trit {
namespace {

using kernels::BinaryOp;

// out = a (kind) b over the broadcast plan, one kernel call per contiguous run.
void broadcast_binary(BinaryOp kind, const Tensor& a, const Tensor& b, Tensor& out) {
  const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape(), out.shape());
  for (int64_t r = 0; r < plan.rows; ++r)
    kernels::binary(kind, a.data() + plan.a_offset[r], plan.a_step, b.data() + plan.b_offset[r],
                    plan.b_step, out.data() + r * plan.row_length, plan.row_length);
}

// out = a (kind) b in the broadcast shape; `op` names the op in errors.
Tensor forward(const char* op, BinaryOp kind, const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), op));
  broadcast_binary(kind, a, b, out);
  return out;
}

// g (kind) x for an operand x of any broadcastable shape, in g's shape.
Tensor combine(BinaryOp kind, const Tensor& g, const Tensor& x) {
  Tensor out = Tensor::empty(g.shape());
  broadcast_binary(kind, g, x, out);
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  const char* op = "add";
  Tensor out = forward(op, BinaryOp::kAdd, a, b);
  if (needs_grad({a, b}))
    record(op, {a, b}, out, [a, b](const Tensor& g) {  // d/da = 1, d/db = 1
      if (a.requires_grad()) sum_to_shape_add(g, a.shape(), grad_buffer(a));
      if (b.requires_grad()) sum_to_shape_add(g, b.shape(), grad_buffer(b));
    });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  const char* op = "sub";
  Tensor out = forward(op, BinaryOp::kSub, a, b);
  if (needs_grad({a, b}))
    record(op, {a, b}, out, [a, b](const Tensor& g) {  // d/da = 1, d/db = -1
      if (a.requires_grad()) sum_to_shape_add(g, a.shape(), grad_buffer(a));
      if (b.requires_grad())
        sum_to_shape_add(combine(BinaryOp::kMul, g, Tensor::scalar(-1.0f)), b.shape(),
                         grad_buffer(b));
    });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const char* op = "mul";
  Tensor out = forward(op, BinaryOp::kMul, a, b);
  if (needs_grad({a, b}))
    record(op, {a, b}, out, [a, b](const Tensor& g) {  // d/da = b, d/db = a
      if (a.requires_grad())
        sum_to_shape_add(combine(BinaryOp::kMul, g, b), a.shape(), grad_buffer(a));
      if (b.requires_grad())
        sum_to_shape_add(combine(BinaryOp::kMul, g, a), b.shape(), grad_buffer(b));
    });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  const char* op = "div";
  Tensor out = forward(op, BinaryOp::kDiv, a, b);
  if (needs_grad({a, b}))
    record(op, {a, b}, out, [a, b, out](const Tensor& g) {
      const Tensor g_over_b = combine(BinaryOp::kDiv, g, b);  // d/da = 1/b
      if (a.requires_grad()) sum_to_shape_add(g_over_b, a.shape(), grad_buffer(a));
      if (b.requires_grad()) {  // d/db = -a/b^2 = -out/b
        const Tensor db =
            combine(BinaryOp::kMul, combine(BinaryOp::kMul, g_over_b, out), Tensor::scalar(-1.0f));
        sum_to_shape_add(db, b.shape(), grad_buffer(b));
      }
    });
  return out;
}

Tensor neg(const Tensor& x) { return mul(x, Tensor::scalar(-1.0f)); }

}  // namespace trit
