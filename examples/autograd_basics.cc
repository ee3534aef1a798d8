// Autograd in twenty lines: build an expression from tensors, call backward(), and check the
// gradients it computed against central finite differences, one coordinate at a time.
//
//   build/release/examples/autograd_basics
//
// Prints the tape the expression recorded and the largest difference between the two
// gradients; exits 1 when that difference is above 1e-2 (float32 differences with h = 1e-2).
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

// f(x, w) = sum(tanh(x * w) + x^2): w [4] broadcasts over the rows of x [3, 4].
Tensor f(const Tensor& x, const Tensor& w) { return sum(tanh(x * w) + square(x)); }

int main() {
  Rng rng(1);
  Tensor x = Tensor::uniform({3, 4}, -1.0f, 1.0f, rng).set_requires_grad();
  Tensor w = Tensor::uniform({4}, -1.0f, 1.0f, rng).set_requires_grad();

  const Tensor loss = f(x, w);  // each op runs now and records its backward on the tape
  std::printf("f(x, w) = %.6f; the tape:\n%s", loss.item(), tape_string().c_str());
  backward(loss);  // walks the tape newest to oldest: x.grad() and w.grad() now hold df/dx, df/dw

  const float h = 1e-2f;
  double worst = 0.0;
  NoGradGuard no_grad;  // the probes below need no tape
  for (Tensor t : {x, w}) {
    for (int64_t i = 0; i < t.numel(); ++i) {
      const float saved = t.data()[i];
      t.data()[i] = saved + h;
      const double up = f(x, w).item();
      t.data()[i] = saved - h;
      const double down = f(x, w).item();
      t.data()[i] = saved;
      worst = std::max(worst, std::abs((up - down) / (2 * h) - t.grad().data()[i]));
    }
  }
  std::printf("max |autograd - finite difference| = %.2e over %lld coordinates\n", worst,
              static_cast<long long>(x.numel() + w.numel()));
  return worst < 1e-2 ? 0 : 1;
}
