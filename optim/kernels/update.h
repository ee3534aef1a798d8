// Optimiser update kernels on raw float spans (Highway, runtime dispatch), in place.
//
// They follow PyTorch's single-tensor update loops (torch/optim/sgd.py, adam.py, 2.x) term
// by term; fused multiply-adds may change the last bit against PyTorch, never the
// arithmetic. A given target always gives the same bits, so a resumed run repeats exactly.
#pragma once

#include <cstddef>

namespace trit::kernels {

struct SgdStep {
  float lr, momentum, dampening, weight_decay;
  bool nesterov;
};

// d = g + weight_decay * p
// with momentum_buffer (non-null): buf = first ? d : momentum * buf + (1 - dampening) * d
//                                  d = nesterov ? d + momentum * buf : buf
// p -= lr * d
void sgd_update(const SgdStep& s, float* param, const float* grad, float* momentum_buffer,
                bool first, size_t n);

struct AdamStep {
  float lr, beta1, beta2, eps, weight_decay;
  bool decoupled;               // AdamW: p *= 1 - lr * wd before the step, no L2 term in g
  float step_size;              // lr / (1 - beta1^t), computed in double as PyTorch does
  float bias_correction2_sqrt;  // sqrt(1 - beta2^t), likewise
};

// Adam: g += weight_decay * p (unless decoupled)
// m = m + (1 - beta1) * (g - m);   v = beta2 * v + (1 - beta2) * g * g
// p -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps)
void adam_update(const AdamStep& s, float* param, const float* grad, float* exp_avg,
                 float* exp_avg_sq, size_t n);

}  // namespace trit::kernels
