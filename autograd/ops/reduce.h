// Reductions: sum and mean over all or some axes, max along one axis, argmax.
//
// Axes may be negative (counted from the end); each must be in range and given once, else
// Error "sum: axis 2 out of range for [2,3]" / "sum: axis -1 given twice for [2,3]". An
// empty axes list reduces nothing (NumPy's axis=()) and returns a copy. keepdim keeps each
// reduced dimension as size 1 (the result then broadcasts against x); otherwise it goes.
// Determinism: every output element is accumulated in one fixed order (kernels/reduce.h),
// whatever the thread count.
// Backward: sum broadcasts the gradient back over the reduced axes, mean also divides it
// by the number of elements reduced; max saves the argmax positions and routes each
// gradient to its position (the first maximum on ties), nothing else.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

Tensor sum(const Tensor& x);  // all elements -> 0-d
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);

// sum / count; the mean over zero elements is NaN (as NumPy).
Tensor mean(const Tensor& x);  // all elements -> 0-d
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);

// Largest value along `axis`; throws "max: axis 0 of [0,3] is empty".
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);

// Not differentiable: for each position of x with `axis` removed (row-major order), the
// index along `axis` of its first maximum. For logits [N,C] and axis -1: the N predicted
// classes (accuracy). Throws like max.
std::vector<int64_t> argmax(const Tensor& x, int64_t axis);

}  // namespace trit
