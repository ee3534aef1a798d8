// Highway implementation of softmax.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/softmax.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comments stop clang-format's include regrouping.
#include <hwy/highway.h>
// Contrib headers come after highway.h.
#include <hwy/contrib/math/math-inl.h>

#include <cmath>

#include "autograd/kernels/loops-inl.h"
#include "autograd/kernels/softmax.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void SoftmaxRowsImpl(const float* x, size_t rows, size_t cols, float* out) {
  for (size_t r = 0; r < rows && cols > 0; ++r, x += cols, out += cols) {
    const float m = RowMax(x, cols);
    ForEachVector(cols, [&](auto d, size_t i) {
      hn::StoreU(hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), hn::Set(d, m))), d, out + i);
    });
    const float inverse = 1.0f / RowSum(out, cols);  // >= 1 term equals e^0 = 1
    ForEachVector(cols, [&](auto d, size_t i) {
      hn::StoreU(hn::Mul(hn::LoadU(d, out + i), hn::Set(d, inverse)), d, out + i);
    });
  }
}

void LogSoftmaxRowsImpl(const float* x, size_t rows, size_t cols, float* out) {
  for (size_t r = 0; r < rows && cols > 0; ++r, x += cols, out += cols) {
    const float m = RowMax(x, cols);
    const float total = SumOfVectors(cols, [&](auto d, size_t i) {
      return hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), hn::Set(d, m)));
    });
    const float log_total = std::log(total);
    ForEachVector(cols, [&](auto d, size_t i) {  // (x - m) is exact near the max
      const auto shifted = hn::Sub(hn::LoadU(d, x + i), hn::Set(d, m));
      hn::StoreU(hn::Sub(shifted, hn::Set(d, log_total)), d, out + i);
    });
  }
}

void SoftmaxBackwardRowsImpl(const float* y, const float* gy, size_t rows, size_t cols, float* gx) {
  for (size_t r = 0; r < rows; ++r, y += cols, gy += cols, gx += cols) {
    const float dot = RowDot(gy, y, cols);
    ForEachVector(cols, [&](auto d, size_t i) {
      const auto centred = hn::Sub(hn::LoadU(d, gy + i), hn::Set(d, dot));
      hn::StoreU(hn::MulAdd(hn::LoadU(d, y + i), centred, hn::LoadU(d, gx + i)), d, gx + i);
    });
  }
}

void LogSoftmaxBackwardRowsImpl(const float* y, const float* gy, size_t rows, size_t cols,
                                float* gx) {
  for (size_t r = 0; r < rows; ++r, y += cols, gy += cols, gx += cols) {
    const float total = RowSum(gy, cols);
    ForEachVector(cols, [&](auto d, size_t i) {
      const auto direct = hn::Add(hn::LoadU(d, gx + i), hn::LoadU(d, gy + i));
      const auto probability = hn::Exp(d, hn::LoadU(d, y + i));
      hn::StoreU(hn::NegMulAdd(probability, hn::Set(d, total), direct), d, gx + i);
    });
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(SoftmaxRowsImpl);
HWY_EXPORT(LogSoftmaxRowsImpl);
HWY_EXPORT(SoftmaxBackwardRowsImpl);
HWY_EXPORT(LogSoftmaxBackwardRowsImpl);

void softmax_rows(const float* x, size_t rows, size_t cols, float* out) {
  HWY_DYNAMIC_DISPATCH(SoftmaxRowsImpl)(x, rows, cols, out);
}
void log_softmax_rows(const float* x, size_t rows, size_t cols, float* out) {
  HWY_DYNAMIC_DISPATCH(LogSoftmaxRowsImpl)(x, rows, cols, out);
}
void softmax_backward_rows(const float* y, const float* grad_y, size_t rows, size_t cols,
                           float* grad_x) {
  HWY_DYNAMIC_DISPATCH(SoftmaxBackwardRowsImpl)(y, grad_y, rows, cols, grad_x);
}
void log_softmax_backward_rows(const float* y, const float* grad_y, size_t rows, size_t cols,
                               float* grad_x) {
  HWY_DYNAMIC_DISPATCH(LogSoftmaxBackwardRowsImpl)(y, grad_y, rows, cols, grad_x);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
