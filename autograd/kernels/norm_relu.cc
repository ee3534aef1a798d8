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

// {x - mean, u = (x - mean) * scale + shift} at x + i.
template <class D>
auto CenteredAndAffine(D d, const float* x, const NormAffine& n) {
  const auto centered = hn::Sub(hn::LoadU(d, x), hn::Set(d, n.mean));
  return std::make_pair(centered, hn::MulAdd(centered, hn::Set(d, n.scale), hn::Set(d, n.shift)));
}

void NormReluImpl(const float* x, const ChannelPair& c, const NormAffine& n, float* z) {
  ForEachPair(c, [&](auto d, size_t xi, size_t zi) {
    hn::StoreU(hn::Max(CenteredAndAffine(d, x + xi, n).second, hn::Zero(d)), d, z + zi);
  });
}

// The two sums in the order of kernels/batch_norm.cc's SumChannel (two alternating vector
// chains per run, then the lanes, then a one-lane tail; run totals into doubles), so they
// equal batch_norm's for the same layout; with kAddToDx, dx += a * g on the way.
template <bool kAddToDx>
NormGradSums NormReluGrad(const float* dz, const float* x, const ChannelPair& c,
                          const NormAffine& n, float a, float* dx) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  const auto terms = [&](auto tag, size_t xi, size_t zi) {  // {g, g (x - mean)}
    const auto [centered, u] = CenteredAndAffine(tag, x + xi, n);
    const auto g = hn::IfThenElseZero(hn::Gt(u, hn::Zero(tag)), hn::LoadU(tag, dz + zi));
    if constexpr (kAddToDx)
      hn::StoreU(hn::MulAdd(g, hn::Set(tag, a), hn::LoadU(tag, dx + xi)), tag, dx + xi);
    return std::make_pair(g, hn::Mul(g, centered));
  };
  NormGradSums total;
  for (size_t r = 0; r < c.rows; ++r) {
    const size_t xs = r * c.x_stride, zs = r * c.z_stride;
    auto s0 = hn::Zero(d), s1 = hn::Zero(d), t0 = hn::Zero(d), t1 = hn::Zero(d);
    size_t j = 0;
    for (; j + 2 * lanes <= c.length; j += 2 * lanes) {
      const auto first = terms(d, xs + j, zs + j);
      const auto second = terms(d, xs + j + lanes, zs + j + lanes);
      s0 = hn::Add(s0, first.first);
      t0 = hn::Add(t0, first.second);
      s1 = hn::Add(s1, second.first);
      t1 = hn::Add(t1, second.second);
    }
    for (; j + lanes <= c.length; j += lanes) {
      const auto first = terms(d, xs + j, zs + j);
      s0 = hn::Add(s0, first.first);
      t0 = hn::Add(t0, first.second);
    }
    float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
    float centered = hn::GetLane(hn::SumOfLanes(d, hn::Add(t0, t1)));
    for (; j < c.length; ++j) {
      const auto last = terms(d1, xs + j, zs + j);
      sum += hn::GetLane(last.first);
      centered += hn::GetLane(last.second);
    }
    total.sum += sum;
    total.centered += centered;
  }
  return total;
}

NormGradSums NormReluGradImpl(const float* dz, const float* x, const ChannelPair& c,
                              const NormAffine& n, float a, float* dx) {
  return dx != nullptr ? NormReluGrad<true>(dz, x, c, n, a, dx)
                       : NormReluGrad<false>(dz, x, c, n, a, dx);
}

void AddCenteredImpl(const float* x, const ChannelPair& c, float mean, float b, float k,
                     float* dx) {
  ForEachPair(c, [&](auto d, size_t xi, size_t) {
    const auto centered = hn::Sub(hn::LoadU(d, x + xi), hn::Set(d, mean));
    hn::StoreU(hn::MulAdd(centered, hn::Set(d, b), hn::Add(hn::LoadU(d, dx + xi), hn::Set(d, k))),
               d, dx + xi);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(NormReluImpl);
HWY_EXPORT(NormReluGradImpl);
HWY_EXPORT(AddCenteredImpl);

void norm_relu(const float* x, const ChannelPair& c, const NormAffine& n, float* z) {
  HWY_DYNAMIC_DISPATCH(NormReluImpl)(x, c, n, z);
}
NormGradSums norm_relu_grad(const float* dz, const float* x, const ChannelPair& c,
                            const NormAffine& n, float a, float* dx) {
  return HWY_DYNAMIC_DISPATCH(NormReluGradImpl)(dz, x, c, n, a, dx);
}
void add_centered(const float* x, const ChannelPair& c, float mean, float b, float k, float* dx) {
  HWY_DYNAMIC_DISPATCH(AddCenteredImpl)(x, c, mean, b, k, dx);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
