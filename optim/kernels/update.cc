// Highway implementation of update.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "optim/kernels/update.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comment stops clang-format's include regrouping.
#include <hwy/highway.h>

#include "autograd/kernels/loops-inl.h"  // ForEachVector
#include "optim/kernels/update.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void SgdImpl(const SgdStep& s, float* param, const float* grad, float* buffer, bool first,
             size_t n) {
  ForEachVector(n, [&](auto d, size_t i) {
    const auto p = hn::LoadU(d, param + i);
    auto step = hn::LoadU(d, grad + i);
    if (s.weight_decay != 0.0f) step = hn::MulAdd(hn::Set(d, s.weight_decay), p, step);
    if (buffer != nullptr) {
      const auto b = first ? step
                           : hn::MulAdd(hn::Set(d, s.momentum), hn::LoadU(d, buffer + i),
                                        hn::Mul(hn::Set(d, 1.0f - s.dampening), step));
      hn::StoreU(b, d, buffer + i);
      step = s.nesterov ? hn::MulAdd(hn::Set(d, s.momentum), b, step) : b;
    }
    hn::StoreU(hn::NegMulAdd(hn::Set(d, s.lr), step, p), d, param + i);
  });
}

void AdamImpl(const AdamStep& s, float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
              size_t n) {
  ForEachVector(n, [&](auto d, size_t i) {
    auto p = hn::LoadU(d, param + i);
    auto g = hn::LoadU(d, grad + i);
    if (s.decoupled) {
      p = hn::Mul(p, hn::Set(d, 1.0f - s.lr * s.weight_decay));
    } else if (s.weight_decay != 0.0f) {
      g = hn::MulAdd(hn::Set(d, s.weight_decay), p, g);
    }
    auto m = hn::LoadU(d, exp_avg + i);
    m = hn::MulAdd(hn::Set(d, 1.0f - s.beta1), hn::Sub(g, m), m);
    const auto v = hn::MulAdd(hn::Set(d, 1.0f - s.beta2), hn::Mul(g, g),
                              hn::Mul(hn::Set(d, s.beta2), hn::LoadU(d, exp_avg_sq + i)));
    const auto denom =
        hn::Add(hn::Div(hn::Sqrt(v), hn::Set(d, s.bias_correction2_sqrt)), hn::Set(d, s.eps));
    hn::StoreU(m, d, exp_avg + i);
    hn::StoreU(v, d, exp_avg_sq + i);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, s.step_size), hn::Div(m, denom), p), d, param + i);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(SgdImpl);
HWY_EXPORT(AdamImpl);

void sgd_update(const SgdStep& s, float* param, const float* grad, float* momentum_buffer,
                bool first, size_t n) {
  HWY_DYNAMIC_DISPATCH(SgdImpl)(s, param, grad, momentum_buffer, first, n);
}

void adam_update(const AdamStep& s, float* param, const float* grad, float* exp_avg,
                 float* exp_avg_sq, size_t n) {
  HWY_DYNAMIC_DISPATCH(AdamImpl)(s, param, grad, exp_avg, exp_avg_sq, n);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
