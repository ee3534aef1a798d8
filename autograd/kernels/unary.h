// Elementwise unary kernels and their derivatives on raw float spans (Highway, runtime dispatch).
//
// Forward: out[i] = f(x[i]); out may alias x; n may be 0. NaN in gives NaN out. Every
// function is finite wherever its mathematical value is: sigmoid and softplus are evaluated
// through exp(-|x|) (sigmoid(-100) ~ 3.7e-44, softplus(100) = 100), exp overflows to +inf
// above ~88.7, log(0) = -inf and log of a negative number is NaN.
// Backward: grad_x[i] += grad_y[i] * f'(x[i]) (or = without accumulate, for a new gradient
// buffer: no zero fill), computed from one saved span (see backward_reads_output): the output y
// where f' is cheapest in y, else the input x.
#pragma once

#include <cstddef>

namespace trit::kernels {

enum class UnaryOp {
  kExp,       // e^x                           f' = y
  kLog,       // ln x                          f' = 1 / x
  kSqrt,      // sqrt x                        f' = 0.5 / y
  kSquare,    // x^2                           f' = 2x
  kAbs,       // |x|                           f' = sign(x), 0 at 0
  kRelu,      // max(x, 0)                     f' = [y > 0]
  kSigmoid,   // 1 / (1 + e^-x)                f' = y (1 - y)
  kTanh,      // tanh x                        f' = 1 - y^2
  kSoftplus,  // max(x,0) + log1p(e^-|x|)      f' = sigmoid(x)
};

// True when unary_backward for `op` wants the forward output y as `saved`, false when it
// wants the input x.
constexpr bool backward_reads_output(UnaryOp op) {
  return op == UnaryOp::kExp || op == UnaryOp::kSqrt || op == UnaryOp::kRelu ||
         op == UnaryOp::kSigmoid || op == UnaryOp::kTanh;
}

void unary(UnaryOp op, const float* x, float* out, size_t n);
void unary_backward(UnaryOp op, const float* saved, const float* grad_y, float* grad_x, size_t n,
                    bool accumulate = true);

// out[i] = min(max(x[i], lo), hi); backward passes grad_y where lo <= x[i] <= hi (as PyTorch).
void clamp(const float* x, float lo, float hi, float* out, size_t n);
void clamp_backward(const float* x, float lo, float hi, const float* grad_y, float* grad_x,
                    size_t n);

// out[i] = std::pow(x[i], p); backward adds grad_y * p * x^(p-1). Scalar loops: pow is not
// on any hot path, and exp(p log x) would lose accuracy and the sign of negative x.
void pow(const float* x, float p, float* out, size_t n);
void pow_backward(const float* x, float p, const float* grad_y, float* grad_x, size_t n);

}  // namespace trit::kernels
