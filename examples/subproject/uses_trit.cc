// The smallest program against trit: a linear model y = w x + b fitted by SGD on the tape.
// Exits 1 unless the loss falls below a hundredth of its start.
#include <cstdio>

#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/reduce.h"
#include "autograd/ops/unary.h"
#include "optim/sgd.h"

using namespace trit;

int main() {
  const Tensor x = Tensor::from({4, 1}, {-1.0f, 0.0f, 1.0f, 2.0f});
  const Tensor y = Tensor::from({4, 1}, {-1.0f, 1.0f, 3.0f, 5.0f});  // y = 2 x + 1
  Tensor w = Tensor::zeros({1}).set_requires_grad(), b = Tensor::zeros({1}).set_requires_grad();
  optim::SGD sgd({w, b}, optim::SgdOptions{0.1f});
  float first = 0.0f, loss_value = 0.0f;
  for (int step = 0; step < 200; ++step) {
    const Tensor loss = mean(square(x * w + b - y));
    loss_value = loss.item();
    if (step == 0) first = loss_value;
    sgd.zero_grad();
    backward(loss);
    sgd.step();
  }
  std::printf("loss %.4f -> %.6f, w = %.3f, b = %.3f\n", first, loss_value, w.item(), b.item());
  return loss_value < first / 100 ? 0 : 1;
}
