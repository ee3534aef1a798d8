// Highway implementation of unary.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "autograd/kernels/unary.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comments stop clang-format's include regrouping.
#include <hwy/highway.h>
// Contrib headers come after highway.h.
#include <hwy/contrib/math/math-inl.h>

#include <cmath>
#include <limits>

#include "autograd/kernels/loops-inl.h"
#include "autograd/kernels/unary.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kInf = std::numeric_limits<float>::infinity();

// Each op: Forward(d, x) = f(x) and Backward(d, s, g) = g * f'(x) from the saved s
// (y or x, as backward_reads_output says), side by side.
struct Exp {
  template <class D, class V>
  V Forward(D d, V x) const {  // hn::Exp is right (+inf) up to 104 and wrong beyond
    return hn::Exp(d, hn::Min(x, hn::Set(d, 100.0f)));
  }
  template <class D, class V>
  V Backward(D, V y, V g) const {
    return hn::Mul(g, y);
  }
};
struct Log {
  template <class D, class V>
  V Forward(D d, V x) const {  // hn::Log is valid on (0, FLT_MAX] only
    const V zero = hn::Zero(d), inf = hn::Set(d, kInf);
    const V edge = hn::IfThenElse(hn::Eq(x, zero), hn::Neg(inf),
                                  hn::IfThenElse(hn::Eq(x, inf), inf, hn::Set(d, NAN)));
    return hn::IfThenElse(hn::And(hn::Gt(x, zero), hn::Lt(x, inf)), hn::Log(d, x), edge);
  }
  template <class D, class V>
  V Backward(D, V x, V g) const {
    return hn::Div(g, x);
  }
};
struct Sqrt {
  template <class D, class V>
  V Forward(D, V x) const {
    return hn::Sqrt(x);
  }
  template <class D, class V>
  V Backward(D d, V y, V g) const {
    return hn::Div(hn::Mul(hn::Set(d, 0.5f), g), y);
  }
};
struct Square {
  template <class D, class V>
  V Forward(D, V x) const {
    return hn::Mul(x, x);
  }
  template <class D, class V>
  V Backward(D d, V x, V g) const {
    return hn::Mul(hn::Mul(hn::Set(d, 2.0f), x), g);
  }
};
struct Abs {
  template <class D, class V>
  V Forward(D, V x) const {
    return hn::Abs(x);
  }
  template <class D, class V>
  V Backward(D d, V x, V g) const {
    const V zero = hn::Zero(d);
    return hn::IfThenElse(hn::Lt(x, zero), hn::Neg(g), hn::IfThenElseZero(hn::Gt(x, zero), g));
  }
};
struct Relu {
  template <class D, class V>
  V Forward(D d, V x) const {
    return hn::Max(x, hn::Zero(d));
  }
  template <class D, class V>
  V Backward(D d, V y, V g) const {
    return hn::IfThenElseZero(hn::Gt(y, hn::Zero(d)), g);
  }
};
struct Sigmoid {
  template <class D, class V>
  V Forward(D d, V x) const {  // e = e^-|x| never overflows; for x < 0, e / (1 + e)
    const V e = hn::Exp(d, hn::Neg(hn::Abs(x)));
    const V s = hn::Div(hn::Set(d, 1.0f), hn::Add(hn::Set(d, 1.0f), e));
    return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(e, s), s);
  }
  template <class D, class V>
  V Backward(D d, V y, V g) const {
    return hn::Mul(g, hn::Mul(y, hn::Sub(hn::Set(d, 1.0f), y)));
  }
};
struct Tanh {
  template <class D, class V>
  V Forward(D d, V x) const {
    return hn::Tanh(d, x);
  }
  template <class D, class V>
  V Backward(D d, V y, V g) const {
    return hn::Mul(g, hn::NegMulAdd(y, y, hn::Set(d, 1.0f)));
  }
};
struct Softplus {
  template <class D, class V>
  V Forward(D d, V x) const {
    return hn::Add(hn::Max(x, hn::Zero(d)), hn::Log1p(d, hn::Exp(d, hn::Neg(hn::Abs(x)))));
  }
  template <class D, class V>
  V Backward(D d, V x, V g) const {
    return hn::Mul(g, Sigmoid().Forward(d, x));
  }
};
struct Clamp {
  float lo, hi;
  template <class D, class V>
  V Forward(D d, V x) const {
    return hn::Min(hn::Max(x, hn::Set(d, lo)), hn::Set(d, hi));
  }
  template <class D, class V>
  V Backward(D d, V x, V g) const {  // passes g on [lo, hi]
    return hn::IfThenElseZero(hn::And(hn::Ge(x, hn::Set(d, lo)), hn::Ge(hn::Set(d, hi), x)), g);
  }
};

// Calls body(Op()) with the functor for `op`.
template <class Body>
void WithOp(UnaryOp op, const Body& body) {
  switch (op) {
    case UnaryOp::kExp:
      return body(Exp());
    case UnaryOp::kLog:
      return body(Log());
    case UnaryOp::kSqrt:
      return body(Sqrt());
    case UnaryOp::kSquare:
      return body(Square());
    case UnaryOp::kAbs:
      return body(Abs());
    case UnaryOp::kRelu:
      return body(Relu());
    case UnaryOp::kSigmoid:
      return body(Sigmoid());
    case UnaryOp::kTanh:
      return body(Tanh());
    case UnaryOp::kSoftplus:
      return body(Softplus());
  }
}

// out = f(x); NaN passes through. f never sees a NaN lane: the float -> int conversion
// inside hn::Exp is undefined behaviour for NaN on the emulated targets (UBSan).
template <class Op>
void ForwardLoop(const Op& op, const float* x, float* out, size_t n) {
  ForEachVector(n, [&](auto d, size_t i) {
    const auto v = hn::LoadU(d, x + i);
    const auto nan = hn::IsNaN(v);
    hn::StoreU(hn::IfThenElse(nan, v, op.Forward(d, hn::IfThenZeroElse(nan, v))), d, out + i);
  });
}

// grad_x += g * f'(saved), or = without accumulate (the flag is the same for every vector)
template <class Op>
void BackwardLoop(const Op& op, const float* saved, const float* grad_y, float* grad_x, size_t n,
                  bool accumulate = true) {
  ForEachVector(n, [&](auto d, size_t i) {
    auto local = op.Backward(d, hn::LoadU(d, saved + i), hn::LoadU(d, grad_y + i));
    if (accumulate) local = hn::Add(hn::LoadU(d, grad_x + i), local);
    hn::StoreU(local, d, grad_x + i);
  });
}

void UnaryImpl(UnaryOp op, const float* x, float* out, size_t n) {
  WithOp(op, [&](const auto& f) { ForwardLoop(f, x, out, n); });
}
void UnaryBackwardImpl(UnaryOp op, const float* saved, const float* gy, float* gx, size_t n,
                       bool accumulate) {
  WithOp(op, [&](const auto& f) { BackwardLoop(f, saved, gy, gx, n, accumulate); });
}
void ClampImpl(const float* x, float lo, float hi, float* out, size_t n) {
  ForwardLoop(Clamp{lo, hi}, x, out, n);
}
void ClampBackwardImpl(const float* x, float lo, float hi, const float* gy, float* gx, size_t n) {
  BackwardLoop(Clamp{lo, hi}, x, gy, gx, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(UnaryImpl);
HWY_EXPORT(UnaryBackwardImpl);
HWY_EXPORT(ClampImpl);
HWY_EXPORT(ClampBackwardImpl);

void unary(UnaryOp op, const float* x, float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(UnaryImpl)(op, x, out, n);
}
void unary_backward(UnaryOp op, const float* saved, const float* grad_y, float* grad_x, size_t n,
                    bool accumulate) {
  HWY_DYNAMIC_DISPATCH(UnaryBackwardImpl)(op, saved, grad_y, grad_x, n, accumulate);
}
void clamp(const float* x, float lo, float hi, float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(ClampImpl)(x, lo, hi, out, n);
}
void clamp_backward(const float* x, float lo, float hi, const float* grad_y, float* grad_x,
                    size_t n) {
  HWY_DYNAMIC_DISPATCH(ClampBackwardImpl)(x, lo, hi, grad_y, grad_x, n);
}

void pow(const float* x, float p, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = std::pow(x[i], p);
}
void pow_backward(const float* x, float p, const float* grad_y, float* grad_x, size_t n) {
  for (size_t i = 0; i < n; ++i) grad_x[i] += grad_y[i] * p * std::pow(x[i], p - 1.0f);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
