// NumPy broadcasting as a walk over contiguous rows, for binary ops and their backward.
//
// BroadcastPlan lays out `out = a (op) b` (shapes already validated by broadcast_shapes)
// as `rows` runs of `row_length` output elements. In each run an operand either walks
// (step 1) or repeats one element (step 0); adjacent dimensions that broadcast alike are
// merged first, so [N,C,H,W] + [1,C,1,1] becomes N*C runs of H*W with b's step 0.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/shape.h"
#include "autograd/tensor.h"

namespace trit {

struct BroadcastPlan {
  int64_t rows = 0;
  int64_t row_length = 0;
  int64_t a_step = 1, b_step = 1;            // within a run: 0 or 1
  std::vector<int64_t> a_offset, b_offset;  // start of each run, per operand
};

BroadcastPlan plan_broadcast(const Shape& a, const Shape& b, const Shape& out);

// dst (shape `target`) += grad summed over the dimensions along which `target` was broadcast
// to grad's shape: the adjoint of broadcasting. Equal shapes take one axpy.
void sum_to_shape_add(const Tensor& grad, const Shape& target, float* dst);

}  // namespace trit
