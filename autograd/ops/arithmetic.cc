#include "autograd/ops/arithmetic.h"

#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/ops/broadcast.h"

namespace trit {
namespace {

using kernels::BinaryOp;

// out = a (op) b over the broadcast plan, one kernel call per contiguous run.
void broadcast_binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  const BroadcastPlan plan = plan_broadcast(a.shape(), b.shape(), out.shape());
  for (int64_t r = 0; r < plan.rows; ++r)
    kernels::binary(op, a.data() + plan.a_offset[r], plan.a_step, b.data() + plan.b_offset[r],
                    plan.b_step, out.data() + r * plan.row_length, plan.row_length);
}

Tensor forward(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), name));
  broadcast_binary(op, a, b, out);
  return out;
}

// input.grad += sum_to_shape(local): `local` has the output's shape.
void accumulate(const Tensor& input, const Tensor& local) {
  if (!input.requires_grad()) return;
  if (input.shape() == local.shape()) {
    kernels::axpy(1.0f, local.data(), input.mutable_grad(), local.numel());
  } else {
    sum_to_shape_add(local.data(), local.shape(), input.shape(), input.mutable_grad());
  }
}

// g (op) x for an operand x of any broadcastable shape, in g's shape.
Tensor combine(BinaryOp op, const Tensor& g, const Tensor& x) {
  Tensor out = Tensor::empty(g.shape());
  broadcast_binary(op, g, x, out);
  return out;
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = forward("add", BinaryOp::kAdd, a, b);
  if (needs_grad({a, b}))
    record("add", {a, b}, out, [a, b](const Tensor& g) {  // d/da = 1, d/db = 1
      accumulate(a, g);
      accumulate(b, g);
    });
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = forward("sub", BinaryOp::kSub, a, b);
  if (needs_grad({a, b}))
    record("sub", {a, b}, out, [a, b](const Tensor& g) {  // d/da = 1, d/db = -1
      accumulate(a, g);
      if (b.requires_grad()) accumulate(b, combine(BinaryOp::kMul, g, Tensor::scalar(-1.0f)));
    });
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = forward("mul", BinaryOp::kMul, a, b);
  if (needs_grad({a, b}))
    record("mul", {a, b}, out, [a, b](const Tensor& g) {  // d/da = b, d/db = a
      if (a.requires_grad()) accumulate(a, combine(BinaryOp::kMul, g, b));
      if (b.requires_grad()) accumulate(b, combine(BinaryOp::kMul, g, a));
    });
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = forward("div", BinaryOp::kDiv, a, b);
  if (needs_grad({a, b}))
    record("div", {a, b}, out, [a, b, out](const Tensor& g) {
      const Tensor g_over_b = combine(BinaryOp::kDiv, g, b);  // d/da = 1/b
      accumulate(a, g_over_b);
      if (b.requires_grad())  // d/db = -a/b^2 = -out/b
        accumulate(b, combine(BinaryOp::kMul, combine(BinaryOp::kMul, g_over_b, out),
                              Tensor::scalar(-1.0f)));
    });
  return out;
}

Tensor neg(const Tensor& x) { return mul(x, Tensor::scalar(-1.0f)); }

}  // namespace trit
