// Your own op, written as every trit op is: the forward computes the output now, and, when a
// gradient is wanted, records on the tape a backward closure that adds d loss / d input into
// the input's gradient. Then a gradient check against finite differences.
//
//   build/release/examples/custom_op
//
// The op is swish(x) = x sigmoid(x), with d swish / dx = s + x s (1 - s), s = sigmoid(x).
// Prints the tape, the difference from the library's own x * sigmoid(x), and the gradient
// error; exits 1 when either is above its tolerance.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/unary.h"
#include "autograd/random.h"
#include "autograd/tensor.h"

using namespace trit;

Tensor swish(const Tensor& x) {
  const char* op = "swish";  // the name the tape and error messages show
  Tensor out = Tensor::empty(x.shape());
  const float* in = x.data();
  float* y = out.data();
  for (int64_t i = 0; i < x.numel(); ++i) y[i] = in[i] / (1.0f + std::exp(-in[i]));

  if (needs_grad({x}))  // recording is on and x requires grad
    record(op, {x}, out, [x](const Tensor& grad_out) {
      const float* in = x.data();
      const float* g = grad_out.data();
      float* dx = grad_buffer(x);  // x's gradient, zeros when this creates it: add, never set
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float s = 1.0f / (1.0f + std::exp(-in[i]));
        dx[i] += g[i] * (s + in[i] * s * (1.0f - s));
      }
    });
  return out;
}

int main() {
  Rng rng(2);
  Tensor x = Tensor::uniform({2, 5}, -3.0f, 3.0f, rng).set_requires_grad();
  const Tensor c = Tensor::uniform({2, 5}, -1.0f, 1.0f, rng);  // makes every d loss / dy differ
  const auto loss_of = [&c](const Tensor& input) { return sum(swish(input) * c); };

  double forward_error = 0.0;
  {
    NoGradGuard no_grad;
    const Tensor mine = swish(x), library = x * sigmoid(x);
    for (int64_t i = 0; i < x.numel(); ++i)
      forward_error = std::max<double>(forward_error, std::abs(mine.data()[i] - library.data()[i]));
  }

  const Tensor loss = loss_of(x);
  std::printf("the tape:\n%s", tape_string().c_str());
  backward(loss);

  const float h = 1e-2f;
  double grad_error = 0.0;
  NoGradGuard no_grad;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float saved = x.data()[i];
    x.data()[i] = saved + h;
    const double up = loss_of(x).item();
    x.data()[i] = saved - h;
    const double down = loss_of(x).item();
    x.data()[i] = saved;
    grad_error = std::max(grad_error, std::abs((up - down) / (2 * h) - x.grad().data()[i]));
  }
  std::printf("forward: max |swish - x * sigmoid(x)| = %.2e\n", forward_error);
  std::printf("backward: max |autograd - finite difference| = %.2e\n", grad_error);
  return forward_error < 1e-5 && grad_error < 1e-2 ? 0 : 1;
}
