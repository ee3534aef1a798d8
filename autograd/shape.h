// Shape: the sizes of a row-major contiguous tensor, outermost dimension first.
//
// Helpers here are pure functions on shapes: element counts, printing as "[2,3]",
// negative-axis normalisation and NumPy broadcasting. They throw trit::Error naming
// the calling op when a shape is invalid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit {

using Shape = std::vector<int64_t>;

// Number of elements (1 for a 0-d shape).
int64_t numel(const Shape& shape);

// "[64,800]"
std::string to_string(const Shape& shape);

// Maps axis in [-rank, rank) to [0, rank); throws "<op>: axis A out of range for [..]".
int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& op);

// NumPy broadcasting: dimensions are aligned from the right and must be equal or 1.
// Throws "<op>: [2,3] and [4]: shapes cannot be broadcast".
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op);

// `shape` viewed as [outer, size, inner] around one axis (negative counts from the end):
// size = shape[axis], outer and inner the products of the dimensions before and after.
// Throws "<op>: axis 2 out of range for [2,3]".
struct AxisSplit {
  int64_t axis = 0;  // normalised to [0, rank)
  int64_t outer = 1, size = 1, inner = 1;
};
AxisSplit split_at_axis(const Shape& shape, int64_t axis, const std::string& op);

// Row-major strides in elements (the last dimension has stride 1).
std::vector<int64_t> contiguous_strides(const Shape& shape);

}  // namespace trit
