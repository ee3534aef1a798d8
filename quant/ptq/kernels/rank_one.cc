// Highway implementation of rank_one.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/ptq/kernels/rank_one.cc"
#include "quant/ptq/kernels/rank_one.h"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y[0:n] += alpha * a[0:n], whole vectors then a scalar tail.
template <class D, class D1>
void AddScaled(D d, D1 d1, double alpha, const double* a, double* y, size_t n) {
  size_t i = 0;
  for (; i + hn::Lanes(d) <= n; i += hn::Lanes(d)) {
    hn::StoreU(hn::MulAdd(hn::Set(d, alpha), hn::LoadU(d, a + i), hn::LoadU(d, y + i)), d, y + i);
  }
  for (; i < n; ++i) {
    hn::StoreU(hn::MulAdd(hn::Set(d1, alpha), hn::LoadU(d1, a + i), hn::LoadU(d1, y + i)), d1,
               y + i);
  }
}

void GemvImpl(const double* a, int64_t rows, int64_t cols, int64_t lda, const double* x,
              double* y) {
  const hn::ScalableTag<double> d;
  const hn::CappedTag<double, 1> d1;
  for (int64_t i = 0; i < rows; ++i) y[i] = 0.0;
  for (int64_t c = 0; c < cols; ++c) AddScaled(d, d1, x[c], a + c * lda, y, rows);
}

void RankOneUpdateGemvImpl(double* a, int64_t rows, int64_t cols, int64_t lda, const double* u,
                           const double* v, const double* x, double* y) {
  const hn::ScalableTag<double> d;
  const hn::CappedTag<double, 1> d1;
  if (x) {
    for (int64_t i = 0; i < rows; ++i) y[i] = 0.0;
  }
  const auto column = [&](auto tag, double* ac, double vc, double xc, size_t i) {
    const auto updated =
        hn::NegMulAdd(hn::Set(tag, vc), hn::LoadU(tag, u + i), hn::LoadU(tag, ac + i));
    hn::StoreU(updated, tag, ac + i);
    if (x) hn::StoreU(hn::MulAdd(hn::Set(tag, xc), updated, hn::LoadU(tag, y + i)), tag, y + i);
  };
  const size_t n = static_cast<size_t>(rows);
  for (int64_t c = 0; c < cols; ++c) {
    double* ac = a + c * lda;
    const double xc = x ? x[c] : 0.0;
    size_t i = 0;
    for (; i + hn::Lanes(d) <= n; i += hn::Lanes(d)) column(d, ac, v[c], xc, i);
    for (; i < n; ++i) column(d1, ac, v[c], xc, i);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(GemvImpl);
HWY_EXPORT(RankOneUpdateGemvImpl);

void gemv_colmajor(const double* a, int64_t rows, int64_t cols, int64_t lda, const double* x,
                   double* y) {
  HWY_DYNAMIC_DISPATCH(GemvImpl)(a, rows, cols, lda, x, y);
}

void rank_one_update_gemv(double* a, int64_t rows, int64_t cols, int64_t lda, const double* u,
                          const double* v, const double* x, double* y) {
  HWY_DYNAMIC_DISPATCH(RankOneUpdateGemvImpl)(a, rows, cols, lda, u, v, x, y);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
