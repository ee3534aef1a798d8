#include "autograd/ops/unary.h"

#include <sstream>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/unary.h"

namespace trit {
namespace {

using kernels::UnaryOp;

// out = f(x); backward adds g * f'(...) from whichever of x, out the kernel reads (writes it
// when x has no gradient yet).
Tensor unary_op(const char* op, UnaryOp kind, const Tensor& x) {
  Tensor out = Tensor::empty(x.shape());
  kernels::unary(kind, x.data(), out.data(), x.numel());
  if (needs_grad({x})) {
    const Tensor saved = kernels::backward_reads_output(kind) ? out.detach() : x;
    record(op, {x}, out, [kind, x, saved](const Tensor& g) {
      bool fresh = false;  // a new gradient is written, not zero-filled and added to
      float* dx = grad_buffer(x, &fresh);
      kernels::unary_backward(kind, saved.data(), g.data(), dx, x.numel(), !fresh);
    });
  }
  return out;
}

}  // namespace

Tensor exp(const Tensor& x) { return unary_op("exp", UnaryOp::kExp, x); }
Tensor log(const Tensor& x) { return unary_op("log", UnaryOp::kLog, x); }
Tensor sqrt(const Tensor& x) { return unary_op("sqrt", UnaryOp::kSqrt, x); }
Tensor square(const Tensor& x) { return unary_op("square", UnaryOp::kSquare, x); }
Tensor abs(const Tensor& x) { return unary_op("abs", UnaryOp::kAbs, x); }
Tensor relu(const Tensor& x) { return unary_op("relu", UnaryOp::kRelu, x); }
Tensor sigmoid(const Tensor& x) { return unary_op("sigmoid", UnaryOp::kSigmoid, x); }
Tensor tanh(const Tensor& x) { return unary_op("tanh", UnaryOp::kTanh, x); }
Tensor softplus(const Tensor& x) { return unary_op("softplus", UnaryOp::kSoftplus, x); }

Tensor pow(const Tensor& x, float p) {
  Tensor out = Tensor::empty(x.shape());
  kernels::pow(x.data(), p, out.data(), x.numel());
  if (needs_grad({x}))
    record("pow", {x}, out, [x, p](const Tensor& g) {  // d/dx = p x^(p-1)
      kernels::pow_backward(x.data(), p, g.data(), grad_buffer(x), x.numel());
    });
  return out;
}

Tensor clamp(const Tensor& x, float lo, float hi) {
  const char* op = "clamp";
  if (!(lo <= hi)) {
    std::ostringstream what;
    what << "lo " << lo << " is greater than hi " << hi << " for " << to_string(x.shape());
    throw Error(std::string(op) + ": " + what.str());
  }
  Tensor out = Tensor::empty(x.shape());
  kernels::clamp(x.data(), lo, hi, out.data(), x.numel());
  if (needs_grad({x}))
    record(op, {x}, out, [x, lo, hi](const Tensor& g) {  // d/dx = [lo <= x <= hi]
      kernels::clamp_backward(x.data(), lo, hi, g.data(), grad_buffer(x), x.numel());
    });
  return out;
}

}  // namespace trit
