// Shape and layout ops: reshape, flatten, transpose, permute, concat, slice.
//
// Contract
// - reshape/flatten share the input's storage (Tensor::view); every other op here copies
//   into a new contiguous tensor (trit tensors have no strides).
// - Negative axes count from the end; an axis outside [-rank, rank) throws
//   "<op>: axis A out of range for [..]".
// - Backward saves nothing but the shapes: reshape/flatten reshape the gradient back,
//   transpose/permute apply the inverse permutation, concat hands each input its slice of
//   the gradient, slice adds the gradient into the sliced range (zeros elsewhere).
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

// Same elements, new shape. At most one size may be -1: it is inferred from the element
// count. Throws "reshape: cannot reshape [2,3] to [4,2]" when the counts differ.
Tensor reshape(const Tensor& x, const Shape& shape);

// Merges the dimensions from start_dim to the last into one: [N,C,H,W] -> [N,C*H*W] for
// start_dim = 1. A 0-d tensor becomes [1].
Tensor flatten(const Tensor& x, int64_t start_dim = 1);

// Swaps two dimensions (a copy): [N,C,L] with (1,2) -> [N,L,C].
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);

// out.shape[i] = x.shape[dims[i]]; dims must be a permutation of 0..rank-1 (negative
// entries allowed). A copy, made by a cache-blocked kernel (kernels/permute.h).
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);

// Joins tensors along `axis`; all inputs have the same rank and equal sizes elsewhere.
// Throws "concat: [2,3,4] and [2,5,5] differ outside axis 1"; an empty list throws.
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);

// x[..., start:end, ...] along `axis`, step 1, with Python/PyTorch slicing semantics:
// a negative start or end counts from the end (adds the size), then both are clamped to
// [0, size]; end <= start gives an empty axis. Never throws for out-of-range indices.
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end);

}  // namespace trit
