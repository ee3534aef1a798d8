// Softmax, log-softmax and the classification loss built on them.
//
// Stability: the max along the axis is subtracted before exponentiating, so logits of any
// finite size (even 1000 apart) give finite log-probabilities (kernels/softmax.h).
// Saved for backward: the op's own output (softmax or log-softmax); cross_entropy saves
// the [N,C] log-probabilities and the labels.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

// Along `axis` (negative counts from the end): e^x / sum(e^x), and its logarithm
// x - logsumexp(x). Shape unchanged; throws "softmax: axis 2 out of range for [2,3]".
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

// Mean over the batch of -log softmax(logits[i])[labels[i]]: logits [N,C], labels in
// [0,C), one per row; returns a 0-d tensor (NaN for N = 0). Fused log-softmax + NLL: the
// gradient is (softmax(logits) - onehot(labels)) / N times the incoming gradient.
// Throws for logits that are not 2-D, labels.size() != N, or a label outside [0,C):
// "cross_entropy: label 12 at index 3 out of range for 10 classes".
Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels);

}  // namespace trit
