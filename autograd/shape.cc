#include "autograd/shape.h"

#include <algorithm>

#include "autograd/error.h"

namespace trit {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::string to_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

int64_t normalize_axis(int64_t axis, int64_t rank, const std::string& op) {
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  check(normalized >= 0 && normalized < rank, op,
        "axis " + std::to_string(axis) + " out of range for a tensor of rank " +
            std::to_string(rank));
  return normalized;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    check(da == db || da == 1 || db == 1, op,
          to_string(a) + " and " + to_string(b) + ": shapes cannot be broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

AxisSplit split_at_axis(const Shape& shape, int64_t axis, const std::string& op) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  check(axis >= -rank && axis < rank, op,
        "axis " + std::to_string(axis) + " out of range for " + to_string(shape));
  AxisSplit split;
  split.axis = axis < 0 ? axis + rank : axis;
  for (int64_t i = 0; i < rank; ++i) {
    if (i < split.axis) split.outer *= shape[i];
    if (i > split.axis) split.inner *= shape[i];
  }
  split.size = shape[split.axis];
  return split;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

}  // namespace trit
