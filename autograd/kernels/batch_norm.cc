// Highway implementation of batch_norm.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/batch_norm.cc"
#include "autograd/kernels/batch_norm.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Σ term(tag, i) over the channel's element offsets i: full vectors, then a one-lane tail,
// per run; each run's float total goes into a double in run order.
template <class Term>
double SumChannel(const ChannelLayout& c, const Term& term) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  double total = 0.0;
  for (size_t r = 0; r < c.rows; ++r) {
    const size_t start = r * c.stride, end = start + c.length;
    auto acc0 = hn::Zero(d), acc1 = hn::Zero(d);  // two chains hide the add latency
    size_t i = start;
    for (; i + 2 * lanes <= end; i += 2 * lanes) {
      acc0 = hn::Add(acc0, term(d, i));
      acc1 = hn::Add(acc1, term(d, i + lanes));
    }
    for (; i + lanes <= end; i += lanes) acc0 = hn::Add(acc0, term(d, i));
    float run = hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1)));
    for (; i < end; ++i) run += hn::GetLane(term(d1, i));
    total += run;
  }
  return total;
}

// store(tag, i) at every element offset i of the channel, full vectors then a tail.
template <class Store>
void ForEachInChannel(const ChannelLayout& c, const Store& store) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  for (size_t r = 0; r < c.rows; ++r) {
    const size_t start = r * c.stride, end = start + c.length;
    size_t i = start;
    for (; i + lanes <= end; i += lanes) store(d, i);
    for (; i < end; ++i) store(d1, i);
  }
}

double ChannelSumImpl(const float* x, const ChannelLayout& c) {
  return SumChannel(c, [x](auto d, size_t i) { return hn::LoadU(d, x + i); });
}

double ChannelCenteredDotImpl(const float* a, float a_mean, const float* b, float b_mean,
                              const ChannelLayout& c) {
  return SumChannel(c, [&](auto d, size_t i) {
    return hn::Mul(hn::Sub(hn::LoadU(d, a + i), hn::Set(d, a_mean)),
                   hn::Sub(hn::LoadU(d, b + i), hn::Set(d, b_mean)));
  });
}

void ChannelNormalizeImpl(const float* x, const ChannelLayout& c, float mean, float scale,
                          float shift, float* y) {
  ForEachInChannel(c, [&](auto d, size_t i) {
    const auto centered = hn::Sub(hn::LoadU(d, x + i), hn::Set(d, mean));
    hn::StoreU(hn::MulAdd(centered, hn::Set(d, scale), hn::Set(d, shift)), d, y + i);
  });
}

void ChannelInputGradAddImpl(const float* g, const float* x, const ChannelLayout& c, float mean,
                             float a, float b, float k, float* dx) {
  ForEachInChannel(c, [&](auto d, size_t i) {
    const auto centered = hn::Sub(hn::LoadU(d, x + i), hn::Set(d, mean));
    const auto affine =
        hn::MulAdd(centered, hn::Set(d, b), hn::Add(hn::LoadU(d, dx + i), hn::Set(d, k)));
    hn::StoreU(hn::MulAdd(hn::LoadU(d, g + i), hn::Set(d, a), affine), d, dx + i);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(ChannelSumImpl);
HWY_EXPORT(ChannelCenteredDotImpl);
HWY_EXPORT(ChannelNormalizeImpl);
HWY_EXPORT(ChannelInputGradAddImpl);

double channel_sum(const float* x, const ChannelLayout& c) {
  return HWY_DYNAMIC_DISPATCH(ChannelSumImpl)(x, c);
}
double channel_centered_dot(const float* a, float a_mean, const float* b, float b_mean,
                            const ChannelLayout& c) {
  return HWY_DYNAMIC_DISPATCH(ChannelCenteredDotImpl)(a, a_mean, b, b_mean, c);
}
void channel_normalize(const float* x, const ChannelLayout& c, float mean, float scale, float shift,
                       float* y) {
  HWY_DYNAMIC_DISPATCH(ChannelNormalizeImpl)(x, c, mean, scale, shift, y);
}
void channel_input_grad_add(const float* g, const float* x, const ChannelLayout& c, float mean,
                            float a, float b, float k, float* dx) {
  HWY_DYNAMIC_DISPATCH(ChannelInputGradAddImpl)(g, x, c, mean, a, b, k, dx);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
