#include "autograd/fused/channel_buffer.h"

#include <algorithm>
#include <string>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/norm_relu.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

// Per image, `count` planes of `plane` floats go from channel `from_start` of an array with
// `from_channels` channels to channel `to_start` of one with `to_channels` (copied or added).
struct Band {
  int64_t images, plane, count;
};
void move_band(const Band& b, const float* from, int64_t from_channels, int64_t from_start,
               float* to, int64_t to_channels, int64_t to_start, bool add) {
  const int64_t run = b.count * b.plane;
  for (int64_t n = 0; n < b.images; ++n) {
    const float* src = from + (n * from_channels + from_start) * b.plane;
    float* dst = to + (n * to_channels + to_start) * b.plane;
    if (add) {
      kernels::axpy(1.0f, src, dst, size_t(run));
    } else {
      std::copy(src, src + run, dst);
    }
  }
}

Band band_of(const Tensor& x) { return {x.size(0), x.size(2) * x.size(3), x.size(1)}; }

// The gradient a band hands on: dx += the buffer gradient's band (channels [start, start +
// K) of g) + the terms `shared` says are owed to those channels, x being the band's values
// [N, K, H, W] and dx their gradient.
void hand_on(const Band& b, const float* g, int64_t channels, int64_t start, const Tensor& x,
             float* dx, const ChannelStatistics* shared) {
  move_band(b, g, channels, start, dx, b.count, 0, true);
  if (shared == nullptr) return;
  const kernels::ChannelPair plane{size_t(b.images), size_t(b.plane), size_t(b.count * b.plane), 0};
  for (int64_t j = 0; j < b.count; ++j) {
    const size_t c = size_t(start + j);
    if (c >= shared->owed_slope.size()) break;
    kernels::add_centered(x.data() + j * b.plane, plane, shared->mean[c],
                          float(shared->owed_slope[c]), float(shared->owed_offset[c]),
                          dx + j * b.plane);
  }
}

}  // namespace

Tensor channel_buffer(const Tensor& x, int64_t channels,
                      std::shared_ptr<ChannelStatistics> shared) {
  const char* op = "channel_buffer";
  check_nchw(op, x.shape());
  check(channels >= x.size(1), op,
        std::to_string(channels) + " channels cannot hold input " + to_string(x.shape()));
  Tensor buffer = Tensor::empty({x.size(0), channels, x.size(2), x.size(3)});
  const Band band = band_of(x);
  move_band(band, x.data(), band.count, 0, buffer.data(), channels, 0, false);
  if (needs_grad({x}))
    record(op, {x}, buffer, [x, band, channels, shared](const Tensor& g) {
      hand_on(band, g.data(), channels, 0, x, grad_buffer(x), shared.get());
    });
  return buffer;
}

void write_channels(Tensor& buffer, const Tensor& y, int64_t start,
                    std::shared_ptr<ChannelStatistics> shared) {
  const char* op = "write_channels";
  check_nchw(op, buffer.shape());
  check_nchw(op, y.shape());
  const int64_t channels = buffer.size(1);
  const std::string what = "band [" + std::to_string(start) + ", " +
                           std::to_string(start + y.size(1)) + ") of buffer " +
                           to_string(buffer.shape()) + " for y " + to_string(y.shape());
  check(y.size(0) == buffer.size(0) && y.size(2) == buffer.size(2) && y.size(3) == buffer.size(3),
        op, what + ": sizes differ outside the channels");
  check(start >= 0 && start + y.size(1) <= channels, op, what + " is out of range");
  const Band band = band_of(y);
  move_band(band, y.data(), band.count, 0, buffer.data(), channels, start, false);
  if (needs_grad({y}))
    record(op, {y}, buffer, [y, band, channels, start, shared](const Tensor& g) {
      hand_on(band, g.data(), channels, start, y, grad_buffer(y), shared.get());
    });
}

}  // namespace trit
