// Highway implementation of vnq_kl.h: one fused pass computes the KL surrogate and all three
// gradients (spec §3.2-§3.3), so backward only scales the cached gradients.
//
// Transcendentals are shared through identities in l = ls - log d^2 (spec §3.1):
//   e^l = sigma^2 / d^2,  S(-l) = d^2 / (d^2 + sigma^2),
//   softplus(-l) = log(d^2 + sigma^2) - ls,  S(k2 + k3 l) = 1 / (1 + E), E = exp(-(k2 + k3 l)),
// and each block divides twice: q = 1 / ((1 + E) d) gives S = q d and S / d = q, and
// 1 / (d^2 + sigma^2) gives S(-l) and S(-l) / d.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/vnq/kernels/kl.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comments stop clang-format's include regrouping.
#include <hwy/highway.h>
// Contrib headers come after highway.h.
#include <hwy/contrib/math/math-inl.h>

#include <utility>
#include <vector>

#include "autograd/kernels/exp-inl.h"  // ExpFlushed
#include "autograd/kernels/parallel.h"
#include "quant/vnq/kernels/kl.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kK1 = 0.63576f, kK2 = 1.87320f, kK3 = 1.48695f;  // spec §3.1
constexpr float kTauOverR = 0.375f;                              // tau / r = 0.075 / 0.2
constexpr float kMinSquare = 1e-30f;  // guard for log d^2 (§3.4); below it d counts as 0
constexpr size_t kChunk = 1024;       // weights per partial sum (fixed, so sums are too)

// log x for normal x > 0 (d^2 and d^2 + sigma^2 are >= kMinSquare): hn::Log without its
// subnormal rescaling.
template <class D, class V>
HWY_INLINE V LogOfNormal(D d, V x) {
  return hn::impl::Log<D, V, /*kAllowSubnormals=*/false>(d, x);
}

// g(l) and the two slopes the gradients need, p = -g'(l) and q = -(2/d) g'(l), for one shift d
// (spec §3.1, §3.3; q is 0 where d == 0). Kept positive (g' < 0), so the mixture sums below
// negate once, not per block.
template <class V>
struct Block {
  V g, p, q;
};

template <class D, class V = hn::Vec<D>>
HWY_INLINE Block<V> SparseVdBlock(D d, V shift, V ls, V sigma2) {
  const V one = hn::Set(d, 1.0f), half = hn::Set(d, 0.5f);
  const V square = hn::Mul(shift, shift);
  const auto at_zero = hn::Lt(square, hn::Set(d, kMinSquare));
  const V d2 = hn::IfThenElse(at_zero, hn::Set(d, kMinSquare), square);
  // E = exp(-(k2 + k3 l)) = exp(k3 (log d^2 - ls) - k2)
  const V e =
      ExpFlushed(d, hn::MulAdd(hn::Set(d, kK3), hn::Sub(LogOfNormal(d, d2), ls), hn::Set(d, -kK2)));
  const V safe_shift = hn::IfThenElse(at_zero, one, shift);
  const V s_over_d = hn::Div(one, hn::Mul(hn::Add(one, e), safe_shift));
  const V s = hn::Mul(s_over_d, safe_shift);  // S(k2 + k3 l)
  const V s_complement = hn::Mul(s, e);       // 1 - S(k2 + k3 l), without cancellation
  const V denom = hn::Add(d2, sigma2);
  const V inv_denom = hn::Div(one, denom);
  Block<V> out;
  out.g = hn::MulAdd(half, hn::Sub(LogOfNormal(d, denom), ls),
                     hn::Mul(hn::Set(d, kK1), s_complement));  // k1 - k1 S + 0.5 softplus(-l)
  const V slope_factor = hn::Mul(hn::Set(d, kK1 * kK3), s_complement);  // sigmoid slope / S
  // -g' = 0.5 S(-l) + k1 k3 S (1 - S), with S(-l) = d^2 / (d^2 + sigma^2)
  out.p = hn::MulAdd(half, hn::Mul(d2, inv_denom), hn::Mul(slope_factor, s));
  // -(2/d) g': S(-l)/d = d/(d^2 + sigma^2) has no singularity; the sigmoid term decays.
  out.q = hn::MulAdd(
      shift, inv_denom,
      hn::IfThenZeroElse(at_zero, hn::Mul(hn::Add(slope_factor, slope_factor), s_over_d)));
  return out;
}

// The per-call constants of KlVector.
struct Level {
  float a, clip_factor, weight, inv_tau2, half_inv_tau2, inv_tau2_a;
};

// KL and gradients of one vector of weights; da is per lane, summed by the caller.
template <class D, class V = hn::Vec<D>>
HWY_INLINE void KlVector(D d, V theta, V ls, const Level& level, V& kl, V& d_theta, V& d_ls,
                         V& d_a) {
  const V inv_tau2 = hn::Set(d, level.inv_tau2);
  const V va = hn::Set(d, level.a);
  const V sigma = ExpFlushed(d, hn::Mul(hn::Set(d, 0.5f), ls));
  if (level.clip_factor != kNoClip) {  // as reparam.cc's ClipToBandImpl
    const V band = hn::MulAdd(hn::Set(d, level.clip_factor), sigma, va);
    theta = hn::Min(hn::Max(theta, hn::Neg(band)), band);
  }
  const V sigma2 = hn::Mul(sigma, sigma);
  const V d_plus = hn::Sub(theta, va), d_minus = hn::Add(theta, va);
  const V neg_half_inv_tau2 = hn::Set(d, -level.half_inv_tau2);
  const V w_plus = ExpFlushed(d, hn::Mul(hn::Mul(d_plus, d_plus), neg_half_inv_tau2));
  const V w_minus = ExpFlushed(d, hn::Mul(hn::Mul(d_minus, d_minus), neg_half_inv_tau2));
  const V w_zero = hn::Sub(hn::Sub(hn::Set(d, 1.0f), w_plus), w_minus);  // may be ~ -1e-7
  const auto bp = SparseVdBlock(d, d_plus, ls, sigma2);
  const auto bm = SparseVdBlock(d, d_minus, ls, sigma2);
  const auto b0 = SparseVdBlock(d, theta, ls, sigma2);

  kl = hn::MulAdd(w_plus, bp.g, hn::MulAdd(w_minus, bm.g, hn::Mul(w_zero, b0.g)));
  // dKL/dls = sum_k w_k g'_k
  d_ls = hn::Neg(hn::MulAdd(w_plus, bp.p, hn::MulAdd(w_minus, bm.p, hn::Mul(w_zero, b0.p))));
  const V dg_plus = hn::Sub(bp.g, b0.g), dg_minus = hn::Sub(bm.g, b0.g);
  // dKL/dtheta = sum_k w_k [q_k - (d_k/tau^2) Dg_k] + w_0 q_0
  const auto theta_term = [&](V shift, V w, V dg, V q) {
    return hn::Mul(w, hn::NegMulAdd(hn::Mul(shift, inv_tau2), dg, q));
  };
  d_theta = hn::MulAdd(w_zero, b0.q,
                       hn::Add(theta_term(d_plus, w_plus, dg_plus, bp.q),
                               theta_term(d_minus, w_minus, dg_minus, bm.q)));
  // dKL/da = sum_k w_k [(s_k d_k/tau^2 + d_k^2/(tau^2 a)) Dg_k - s_k q_k], s_+ = 1, s_- = -1
  const V inv_tau2_a = hn::Set(d, level.inv_tau2_a);
  const V coeff_plus = hn::MulAdd(d_plus, inv_tau2, hn::Mul(hn::Mul(d_plus, d_plus), inv_tau2_a));
  const V coeff_minus =
      hn::MulSub(hn::Mul(d_minus, d_minus), inv_tau2_a, hn::Mul(d_minus, inv_tau2));
  d_a = hn::MulAdd(w_plus, hn::MulSub(coeff_plus, dg_plus, bp.q),
                   hn::Mul(w_minus, hn::MulAdd(coeff_minus, dg_minus, bm.q)));
}

// Weights [begin, end): weighted gradients stored, weighted {KL, dKL/da} sums into sums[0..2).
void KlSpan(const float* theta, const float* ls, size_t begin, size_t end, const Level& level,
            float* d_theta, float* d_ls, double* sums) {
  // stores one vector's gradients at i, returns its {KL, dKL/da} lanes
  const auto step = [&](auto d, size_t i) HWY_ATTR {
    hn::Vec<decltype(d)> kl, dt, dl, da;
    KlVector(d, hn::LoadU(d, theta + i), hn::LoadU(d, ls + i), level, kl, dt, dl, da);
    const auto weight = hn::Set(d, level.weight);
    hn::StoreU(hn::Mul(dt, weight), d, d_theta + i);
    hn::StoreU(hn::Mul(dl, weight), d, d_ls + i);
    return std::make_pair(kl, da);
  };
  const hn::ScalableTag<float> d;
  auto kl_acc = hn::Zero(d), d_a_acc = hn::Zero(d);
  size_t i = begin;
  for (; i + hn::Lanes(d) <= end; i += hn::Lanes(d)) {
    const auto [kl, da] = step(d, i);
    kl_acc = hn::Add(kl_acc, kl);
    d_a_acc = hn::Add(d_a_acc, da);
  }
  double kl_sum = hn::GetLane(hn::SumOfLanes(d, kl_acc));
  double d_a_sum = hn::GetLane(hn::SumOfLanes(d, d_a_acc));
  for (; i < end; ++i) {
    const auto [kl, da] = step(hn::CappedTag<float, 1>(), i);
    kl_sum += hn::GetLane(kl);
    d_a_sum += hn::GetLane(da);
  }
  sums[0] = level.weight * kl_sum;
  sums[1] = level.weight * d_a_sum;
}

void VnqKlImpl(const float* theta, const float* ls, size_t n, float a, float clip_factor,
               float weight, float* d_theta, float* d_ls, double* kl_sum, double* d_a_sum) {
  const float tau = kTauOverR * a;
  const Level level{
      a, clip_factor, weight, 1.0f / (tau * tau), 0.5f / (tau * tau), 1.0f / (tau * tau * a)};
  const int64_t chunks = static_cast<int64_t>((n + kChunk - 1) / kChunk);
  std::vector<double> sums(2 * static_cast<size_t>(chunks));
  parallel_for_work(chunks, static_cast<int64_t>(n), int64_t{1} << 13, [&](int64_t c) HWY_ATTR {
    const size_t begin = static_cast<size_t>(c) * kChunk;
    KlSpan(theta, ls, begin, std::min(n, begin + kChunk), level, d_theta, d_ls, &sums[2 * c]);
  });
  *kl_sum = 0.0;
  *d_a_sum = 0.0;
  for (int64_t c = 0; c < chunks; ++c) {
    *kl_sum += sums[2 * c];
    *d_a_sum += sums[2 * c + 1];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(VnqKlImpl);

void vnq_kl(const float* theta, const float* log_sigma2, size_t n, float a, float clip_factor,
            float weight, float* d_theta, float* d_log_sigma2, double* kl_sum, double* d_a_sum) {
  HWY_DYNAMIC_DISPATCH(VnqKlImpl)(theta, log_sigma2, n, a, clip_factor, weight, d_theta,
                                  d_log_sigma2, kl_sum, d_a_sum);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
