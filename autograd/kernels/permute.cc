#include "autograd/kernels/permute.h"

#include <algorithm>

#include "autograd/kernels/parallel.h"

namespace trit::kernels {
namespace {

constexpr int64_t kTile = 16;                       // 16 floats: one 64-byte cache line
constexpr int64_t kSerialBelow = int64_t{1} << 16;  // elements; smaller copies stay on one thread

// One output axis: its size and the strides of the same axis in x and in out.
struct Axis {
  int64_t size, in_stride, out_stride;
};

// The output axes of size > 1, where consecutive ones that x also stores consecutively
// (outer stride = inner size * inner stride) are merged into one.
std::vector<Axis> simplify(const std::vector<int64_t>& shape, const std::vector<int64_t>& dims) {
  std::vector<int64_t> in_strides(shape.size());
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1, s = 1; i >= 0; s *= shape[i--])
    in_strides[i] = s;
  std::vector<Axis> axes;
  for (int64_t d : dims) {
    if (shape[d] == 1) continue;
    if (!axes.empty() && axes.back().in_stride == shape[d] * in_strides[d]) {
      axes.back() = {axes.back().size * shape[d], in_strides[d], 0};
    } else {
      axes.push_back({shape[d], in_strides[d], 0});
    }
  }
  for (int64_t i = static_cast<int64_t>(axes.size()) - 1, s = 1; i >= 0; s *= axes[i--].size)
    axes[i].out_stride = s;
  return axes;
}

// Start offsets in x and out of item `index` of the odometer over `axes`.
void offsets(const std::vector<Axis>& axes, int64_t index, int64_t& in, int64_t& out) {
  in = out = 0;
  for (auto axis = axes.rbegin(); axis != axes.rend(); ++axis) {
    const int64_t j = index % axis->size;
    index /= axis->size;
    in += j * axis->in_stride;
    out += j * axis->out_stride;
  }
}

template <class Body>
void for_items(int64_t items, int64_t numel, const Body& body) {
  if (numel < kSerialBelow) {
    for (int64_t i = 0; i < items; ++i) body(i);
  } else {
    parallel_for(items, body);
  }
}

}  // namespace

void permute(const float* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& dims,
             float* out) {
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  if (numel == 0) return;
  std::vector<Axis> axes = simplify(shape, dims);
  if (axes.empty()) {  // a single element
    out[0] = x[0];
    return;
  }
  const Axis inner = axes.back();
  axes.pop_back();
  if (inner.in_stride == 1) {  // whole rows are contiguous in both arrays
    for_items(numel / inner.size, numel, [&](int64_t row) {
      int64_t in, o;
      offsets(axes, row, in, o);
      std::copy(x + in, x + in + inner.size, out + o);
    });
    return;
  }
  // x's innermost axis is some other output axis `a`: transpose (a, inner) tile by tile.
  const auto a_it =
      std::find_if(axes.begin(), axes.end(), [](const Axis& a) { return a.in_stride == 1; });
  const Axis a = *a_it;
  axes.erase(a_it);
  const int64_t a_tiles = (a.size + kTile - 1) / kTile;
  for_items(numel / (a.size * inner.size) * a_tiles, numel, [&](int64_t item) {
    int64_t in, o;
    offsets(axes, item / a_tiles, in, o);
    const int64_t a_begin = item % a_tiles * kTile, a_end = std::min(a_begin + kTile, a.size);
    for (int64_t b_begin = 0; b_begin < inner.size; b_begin += kTile) {
      const int64_t b_end = std::min(b_begin + kTile, inner.size);
      for (int64_t i = a_begin; i < a_end; ++i)
        for (int64_t j = b_begin; j < b_end; ++j)
          out[o + i * a.out_stride + j] = x[in + i + j * inner.in_stride];
    }
  });
}

}  // namespace trit::kernels
