// Highway implementation of elementwise.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/elementwise.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "autograd/kernels/elementwise.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct AddOp {
  template <class V>
  V operator()(V a, V b) const { return hn::Add(a, b); }
};
struct SubOp {
  template <class V>
  V operator()(V a, V b) const { return hn::Sub(a, b); }
};
struct MulOp {
  template <class V>
  V operator()(V a, V b) const { return hn::Mul(a, b); }
};
struct DivOp {
  template <class V>
  V operator()(V a, V b) const { return hn::Div(a, b); }
};

// One loop for all step combinations: a step-0 operand is a broadcast vector.
template <class Op>
void BinaryLoop(Op op, const float* a, int64_t a_step, const float* b, int64_t b_step,
                float* out, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const size_t lanes = hn::Lanes(d);
  const auto load = [&](auto tag, const float* p, int64_t step, size_t i) {
    return step ? hn::LoadU(tag, p + i) : hn::Set(tag, p[0]);
  };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    hn::StoreU(op(load(d, a, a_step, i), load(d, b, b_step, i)), d, out + i);
  for (; i < n; ++i) hn::StoreU(op(load(d1, a, a_step, i), load(d1, b, b_step, i)), d1, out + i);
}

void BinaryImpl(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step,
                float* out, size_t n) {
  switch (op) {
    case BinaryOp::kAdd: return BinaryLoop(AddOp(), a, a_step, b, b_step, out, n);
    case BinaryOp::kSub: return BinaryLoop(SubOp(), a, a_step, b, b_step, out, n);
    case BinaryOp::kMul: return BinaryLoop(MulOp(), a, a_step, b, b_step, out, n);
    case BinaryOp::kDiv: return BinaryLoop(DivOp(), a, a_step, b, b_step, out, n);
  }
}

void AxpyImpl(float alpha, const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  size_t i = 0;
  for (; i + hn::Lanes(d) <= n; i += hn::Lanes(d))
    hn::StoreU(hn::MulAdd(hn::Set(d, alpha), hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i)
    hn::StoreU(hn::MulAdd(hn::Set(d1, alpha), hn::LoadU(d1, x + i), hn::LoadU(d1, y + i)), d1,
               y + i);
}

void MulAccImpl(const float* a, const float* b, int64_t b_step, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const auto load_b = [&](auto tag, size_t i) {
    return b_step ? hn::LoadU(tag, b + i) : hn::Set(tag, b[0]);
  };
  size_t i = 0;
  for (; i + hn::Lanes(d) <= n; i += hn::Lanes(d))
    hn::StoreU(hn::MulAdd(hn::LoadU(d, a + i), load_b(d, i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i)
    hn::StoreU(hn::MulAdd(hn::LoadU(d1, a + i), load_b(d1, i), hn::LoadU(d1, y + i)), d1, y + i);
}

void ScaleImpl(float alpha, float* y, size_t n) {
  BinaryLoop(MulOp(), y, 1, &alpha, 0, y, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(BinaryImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(MulAccImpl);
HWY_EXPORT(ScaleImpl);

void binary(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step,
            float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(BinaryImpl)(op, a, a_step, b, b_step, out, n);
}
void axpy(float alpha, const float* x, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyImpl)(alpha, x, y, n);
}
void mul_acc(const float* a, const float* b, int64_t b_step, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(MulAccImpl)(a, b, b_step, y, n);
}
void scale(float alpha, float* y, size_t n) { HWY_DYNAMIC_DISPATCH(ScaleImpl)(alpha, y, n); }

}  // namespace trit::kernels
#endif  // HWY_ONCE
