// Highway implementation of norm_relu.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/norm_relu.cc"
#include "autograd/kernels/norm_relu.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <utility>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// apply(tag, x_offset, z_offset) over every element of the channel, full vectors then a
// one-lane tail, run by run.
template <class Apply>
void ForEachPair(const ChannelPair& c, const Apply& apply) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  for (size_t r = 0; r < c.rows; ++r) {
    const size_t xs = r * c.x_stride, zs = r * c.z_stride;
    size_t j = 0;
    for (; j + lanes <= c.length; j += lanes) apply(d, xs + j, zs + j);
    for (; j < c.length; ++j) apply(d1, xs + j, zs + j);
  }
}

void NormReluImpl(const float* x, const ChannelPair& c, float mean, float scale, float shift,
                  float* z) {
  ForEachPair(c, [&](auto d, size_t xi, size_t zi) {
    const auto centered = hn::Sub(hn::LoadU(d, x + xi), hn::Set(d, mean));
    const auto y = hn::MulAdd(centered, hn::Set(d, scale), hn::Set(d, shift));
    hn::StoreU(hn::Max(y, hn::Zero(d)), d, z + zi);
  });
}

// Two sums in the order of kernels/batch_norm.cc's SumChannel (two alternating vector
// chains per run, then the lanes, then a one-lane tail; run totals into doubles), so the
// fused backward reproduces batch_norm's sums exactly.
NormGradSums ReluGradSumsImpl(float* dz, const float* z, const float* x, const ChannelPair& c,
                              float mean) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  // Masks dz at (xi, zi) in place; returns {dz, dz * (x - mean)}.
  const auto terms = [&](auto tag, size_t xi, size_t zi) {
    const auto g =
        hn::IfThenElseZero(hn::Gt(hn::LoadU(tag, z + zi), hn::Zero(tag)), hn::LoadU(tag, dz + zi));
    hn::StoreU(g, tag, dz + zi);
    return std::make_pair(g, hn::Mul(g, hn::Sub(hn::LoadU(tag, x + xi), hn::Set(tag, mean))));
  };
  NormGradSums total;
  for (size_t r = 0; r < c.rows; ++r) {
    const size_t xs = r * c.x_stride, zs = r * c.z_stride;
    auto s0 = hn::Zero(d), s1 = hn::Zero(d), t0 = hn::Zero(d), t1 = hn::Zero(d);
    size_t j = 0;
    for (; j + 2 * lanes <= c.length; j += 2 * lanes) {
      const auto a = terms(d, xs + j, zs + j);
      const auto b = terms(d, xs + j + lanes, zs + j + lanes);
      s0 = hn::Add(s0, a.first);
      t0 = hn::Add(t0, a.second);
      s1 = hn::Add(s1, b.first);
      t1 = hn::Add(t1, b.second);
    }
    for (; j + lanes <= c.length; j += lanes) {
      const auto a = terms(d, xs + j, zs + j);
      s0 = hn::Add(s0, a.first);
      t0 = hn::Add(t0, a.second);
    }
    float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
    float centered = hn::GetLane(hn::SumOfLanes(d, hn::Add(t0, t1)));
    for (; j < c.length; ++j) {
      const auto a = terms(d1, xs + j, zs + j);
      sum += hn::GetLane(a.first);
      centered += hn::GetLane(a.second);
    }
    total.sum += sum;
    total.centered += centered;
  }
  return total;
}

void NormInputGradAddImpl(const float* dz, const float* x, const ChannelPair& c, float mean,
                          float a, float b, float k, float* dx) {
  ForEachPair(c, [&](auto d, size_t xi, size_t zi) {
    const auto centered = hn::Sub(hn::LoadU(d, x + xi), hn::Set(d, mean));
    const auto affine =
        hn::MulAdd(centered, hn::Set(d, b), hn::Add(hn::LoadU(d, dx + xi), hn::Set(d, k)));
    hn::StoreU(hn::MulAdd(hn::LoadU(d, dz + zi), hn::Set(d, a), affine), d, dx + xi);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(NormReluImpl);
HWY_EXPORT(ReluGradSumsImpl);
HWY_EXPORT(NormInputGradAddImpl);

void norm_relu(const float* x, const ChannelPair& c, float mean, float scale, float shift,
               float* z) {
  HWY_DYNAMIC_DISPATCH(NormReluImpl)(x, c, mean, scale, shift, z);
}
NormGradSums relu_grad_sums(float* dz, const float* z, const float* x, const ChannelPair& c,
                            float mean) {
  return HWY_DYNAMIC_DISPATCH(ReluGradSumsImpl)(dz, z, x, c, mean);
}
void norm_input_grad_add(const float* dz, const float* x, const ChannelPair& c, float mean, float a,
                         float b, float k, float* dx) {
  HWY_DYNAMIC_DISPATCH(NormInputGradAddImpl)(dz, x, c, mean, a, b, k, dx);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
