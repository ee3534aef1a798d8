#include "autograd/ops/dropout.h"

#include <sstream>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"

namespace trit {

Tensor dropout(const Tensor& x, float p, bool training, Rng& rng) {
  const char* op = "dropout";
  std::ostringstream what;
  what << "p = " << p << " is outside [0, 1)";
  check(p >= 0.0f && p < 1.0f, op, what.str());  // also rejects NaN
  if (!training || p == 0.0f) return x;

  const float keep_scale = 1.0f / (1.0f - p);
  Tensor mask = Tensor::empty(x.shape());
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data()[i] = rng.uniform() < p ? 0.0f : keep_scale;
  Tensor out = Tensor::empty(x.shape());
  kernels::binary(kernels::BinaryOp::kMul, x.data(), 1, mask.data(), 1, out.data(), x.numel());
  if (needs_grad({x}))
    record(op, {x}, out, [x, mask](const Tensor& g) {  // d out / d x = mask
      kernels::mul_acc(g.data(), mask.data(), 1, grad_buffer(x), g.numel());
    });
  return out;
}

}  // namespace trit
