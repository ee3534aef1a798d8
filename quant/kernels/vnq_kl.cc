// Highway implementation of vnq_kl.h: one fused pass computes the KL surrogate and all three
// gradients (spec §3.2-§3.3), so backward only scales the cached gradients.
//
// Transcendentals are shared through identities in l = ls - log d^2 (spec §3.1):
//   e^l = sigma^2 / d^2,  S(-l) = d^2 / (d^2 + sigma^2),
//   softplus(-l) = log(d^2 + sigma^2) - ls,  S(k2 + k3 l) = 1 / (1 + exp(-(k2 + k3 l))).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/kernels/vnq_kl.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include "quant/kernels/vnq_kl.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kK1 = 0.63576f, kK2 = 1.87320f, kK3 = 1.48695f;  // spec §3.1
constexpr float kTauOverR = 0.375f;                               // tau / r = 0.075 / 0.2
constexpr float kMinSquare = 1e-30f;                              // guard for log d^2 (§3.4)

// g(l), g'(l) and (1/d) g'(l) for one shift d (spec §3.1; the last is 0 where d == 0).
template <class V>
struct Block {
  V g, g_prime, g_prime_over_d;
};

template <class D, class V = hn::Vec<D>>
HWY_INLINE Block<V> SparseVdBlock(D d, V shift, V ls, V sigma2) {
  const V one = hn::Set(d, 1.0f);
  const V d2 = hn::Max(hn::Mul(shift, shift), hn::Set(d, kMinSquare));
  const V l = hn::Sub(ls, hn::Log(d, d2));
  const V e = hn::Exp(d, hn::Neg(hn::MulAdd(hn::Set(d, kK3), l, hn::Set(d, kK2))));
  const V s = hn::Div(one, hn::Add(one, e));        // S(k2 + k3 l)
  const V s_complement = hn::Mul(s, e);             // 1 - S(k2 + k3 l), without cancellation
  const V denom = hn::Add(d2, sigma2);
  const V s_neg_l = hn::Div(d2, denom);             // S(-l)
  const V softplus_neg_l = hn::Sub(hn::Log(d, denom), ls);
  Block<V> out;
  out.g = hn::MulAdd(hn::Set(d, 0.5f), softplus_neg_l,
                     hn::Mul(hn::Set(d, kK1), s_complement));  // k1 - k1 S + 0.5 softplus(-l)
  const V sigmoid_slope = hn::Mul(hn::Mul(hn::Set(d, kK1 * kK3), s), s_complement);
  out.g_prime = hn::Neg(hn::MulAdd(hn::Set(d, 0.5f), s_neg_l, sigmoid_slope));
  // (1/d) g'(l): S(-l)/d = d/(d^2 + sigma^2) has no singularity; the sigmoid term decays.
  const V safe_shift = hn::IfThenElse(hn::Eq(shift, hn::Zero(d)), one, shift);
  const V slope_over_d = hn::IfThenZeroElse(hn::Eq(shift, hn::Zero(d)),
                                            hn::Div(sigmoid_slope, safe_shift));
  out.g_prime_over_d = hn::Neg(hn::MulAdd(hn::Set(d, 0.5f), hn::Div(shift, denom), slope_over_d));
  return out;
}

// KL and gradients of one vector of weights; da is per lane, summed by the caller.
template <class D, class V = hn::Vec<D>>
HWY_INLINE void KlVector(D d, V theta, V ls, float a, V& kl, V& d_theta, V& d_ls, V& d_a) {
  const float tau = kTauOverR * a;
  const V inv_tau2 = hn::Set(d, 1.0f / (tau * tau));
  const V half_inv_tau2 = hn::Set(d, 0.5f / (tau * tau));
  const V va = hn::Set(d, a), two = hn::Set(d, 2.0f);
  const V sigma2 = hn::Exp(d, ls);
  const V d_plus = hn::Sub(theta, va), d_minus = hn::Add(theta, va);
  const V w_plus = hn::Exp(d, hn::Neg(hn::Mul(hn::Mul(d_plus, d_plus), half_inv_tau2)));
  const V w_minus = hn::Exp(d, hn::Neg(hn::Mul(hn::Mul(d_minus, d_minus), half_inv_tau2)));
  const V w_zero = hn::Sub(hn::Sub(hn::Set(d, 1.0f), w_plus), w_minus);  // may be ~ -1e-7
  const auto bp = SparseVdBlock(d, d_plus, ls, sigma2);
  const auto bm = SparseVdBlock(d, d_minus, ls, sigma2);
  const auto b0 = SparseVdBlock(d, theta, ls, sigma2);

  kl = hn::MulAdd(w_plus, bp.g, hn::MulAdd(w_minus, bm.g, hn::Mul(w_zero, b0.g)));
  d_ls = hn::MulAdd(w_plus, bp.g_prime, hn::MulAdd(w_minus, bm.g_prime, hn::Mul(w_zero, b0.g_prime)));
  const V dg_plus = hn::Sub(bp.g, b0.g), dg_minus = hn::Sub(bm.g, b0.g);
  // dKL/dtheta = sum_k [-(d_k/tau^2) w_k Dg_k - 2 w_k g'_k/d_k] - 2 w_0 g'_0/d_0
  const auto theta_term = [&](V shift, V w, V dg, V g_over_d) {
    return hn::Neg(hn::Mul(w, hn::MulAdd(hn::Mul(shift, inv_tau2), dg, hn::Mul(two, g_over_d))));
  };
  d_theta = hn::Add(theta_term(d_plus, w_plus, dg_plus, bp.g_prime_over_d),
                    theta_term(d_minus, w_minus, dg_minus, bm.g_prime_over_d));
  d_theta = hn::Sub(d_theta, hn::Mul(two, hn::Mul(w_zero, b0.g_prime_over_d)));
  // dKL/da = sum_k w_k [(s_k d_k/tau^2 + d_k^2/(tau^2 a)) Dg_k + 2 s_k g'_k/d_k]
  const V inv_tau2_a = hn::Set(d, 1.0f / (tau * tau * a));
  const auto a_term = [&](V signed_shift, V shift, V w, V dg, V signed_g_over_d) {
    const V coeff = hn::MulAdd(signed_shift, inv_tau2, hn::Mul(hn::Mul(shift, shift), inv_tau2_a));
    return hn::Mul(w, hn::MulAdd(coeff, dg, hn::Mul(two, signed_g_over_d)));
  };
  d_a = hn::Add(a_term(d_plus, d_plus, w_plus, dg_plus, bp.g_prime_over_d),
                a_term(hn::Neg(d_minus), d_minus, w_minus, dg_minus, hn::Neg(bm.g_prime_over_d)));
}

template <class D>
void KlLoop(D d, const float* theta, const float* ls, size_t begin, size_t end, float a,
            float* d_theta, float* d_ls, double* kl_sum, double* d_a_sum) {
  for (size_t i = begin; i < end; i += hn::Lanes(d)) {
    hn::Vec<D> kl, dt, dl, da;
    KlVector(d, hn::LoadU(d, theta + i), hn::LoadU(d, ls + i), a, kl, dt, dl, da);
    hn::StoreU(dt, d, d_theta + i);
    hn::StoreU(dl, d, d_ls + i);
    *kl_sum += hn::GetLane(hn::SumOfLanes(d, kl));
    *d_a_sum += hn::GetLane(hn::SumOfLanes(d, da));
  }
}

void VnqKlImpl(const float* theta, const float* ls, size_t n, float a, float* d_theta,
               float* d_ls, double* kl_sum, double* d_a_sum) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t full = n - n % hn::Lanes(d);
  *kl_sum = 0.0;
  *d_a_sum = 0.0;
  KlLoop(d, theta, ls, 0, full, a, d_theta, d_ls, kl_sum, d_a_sum);
  KlLoop(d1, theta, ls, full, n, a, d_theta, d_ls, kl_sum, d_a_sum);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(VnqKlImpl);

void vnq_kl(const float* theta, const float* log_sigma2, size_t n, float a, float* d_theta,
            float* d_log_sigma2, double* kl_sum, double* d_a_sum) {
  HWY_DYNAMIC_DISPATCH(VnqKlImpl)(theta, log_sigma2, n, a, d_theta, d_log_sigma2, kl_sum,
                                  d_a_sum);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
