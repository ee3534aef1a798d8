#include "autograd/ops/loss.h"

#include <functional>
#include <string>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/permute.h"
#include "autograd/kernels/softmax.h"

namespace trit {
namespace {

// A row kernel: reads inputs laid out as [rows, cols], overwrites out in that layout.
using RowsFn = std::function<void(const std::vector<const float*>& inputs, float* out, size_t rows,
                                  size_t cols)>;

// Runs `fn` with the softmax axis as the rows' contiguous axis: directly when it is the
// last axis, else on copies permuted [outer, size, inner] -> [outer, inner, size] and back.
void on_rows(const AxisSplit& s, const std::vector<const float*>& inputs, float* out,
             const RowsFn& fn) {
  const size_t rows = s.outer * s.inner, cols = s.size;
  if (s.inner == 1) return fn(inputs, out, rows, cols);
  std::vector<std::vector<float>> copies;
  std::vector<const float*> row_inputs;
  for (const float* input : inputs) {
    copies.emplace_back(rows * cols);
    kernels::permute(input, {s.outer, s.size, s.inner}, {0, 2, 1}, copies.back().data());
    row_inputs.push_back(copies.back().data());
  }
  std::vector<float> result(rows * cols);
  fn(row_inputs, result.data(), rows, cols);
  kernels::permute(result.data(), {s.outer, s.inner, s.size}, {0, 2, 1}, out);
}

// softmax or log-softmax (`log`) along `axis`; backward reads the saved output.
Tensor softmax_op(const char* op, bool log, const Tensor& x, int64_t axis) {
  const AxisSplit split = split_at_axis(x.shape(), axis, op);
  Tensor out = Tensor::empty(x.shape());
  on_rows(split, {x.data()}, out.data(), [log](const auto& in, float* y, size_t r, size_t c) {
    (log ? kernels::log_softmax_rows : kernels::softmax_rows)(in[0], r, c, y);
  });
  if (needs_grad({x}))
    record(op, {x}, out, [log, x, split, y = out.detach()](const Tensor& g) {
      std::vector<float> local(x.numel());
      on_rows(split, {y.data(), g.data()}, local.data(),
              [log](const auto& in, float* gx, size_t r, size_t c) {
                std::fill(gx, gx + r * c, 0.0f);
                (log ? kernels::log_softmax_backward_rows : kernels::softmax_backward_rows)(
                    in[0], in[1], r, c, gx);
              });
      kernels::axpy(1.0f, local.data(), grad_buffer(x), local.size());
    });
  return out;
}

void check_labels(const char* op, const Tensor& logits, const std::vector<int64_t>& labels) {
  const std::string shape = to_string(logits.shape());
  check(logits.dim() == 2, op, "logits " + shape + " are not [N,C]");
  const int64_t n = logits.size(0), classes = logits.size(1);
  check(static_cast<int64_t>(labels.size()) == n, op,
        std::to_string(labels.size()) + " labels for logits " + shape);
  for (int64_t i = 0; i < n; ++i)
    check(labels[i] >= 0 && labels[i] < classes, op,
          "label " + std::to_string(labels[i]) + " at index " + std::to_string(i) +
              " out of range for " + std::to_string(classes) + " classes");
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t axis) { return softmax_op("softmax", false, x, axis); }
Tensor log_softmax(const Tensor& x, int64_t axis) {
  return softmax_op("log_softmax", true, x, axis);
}

Tensor cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels) {
  const char* op = "cross_entropy";
  check_labels(op, logits, labels);
  const int64_t n = logits.size(0), classes = logits.size(1);
  std::vector<float> log_probs(logits.numel());
  kernels::log_softmax_rows(logits.data(), n, classes, log_probs.data());
  double total = 0.0;  // in row order: deterministic
  for (int64_t i = 0; i < n; ++i) total -= log_probs[i * classes + labels[i]];
  Tensor out = Tensor::scalar(static_cast<float>(total / n));
  if (needs_grad({logits}))
    record(op, {logits}, out, [logits, labels, log_probs = std::move(log_probs)](const Tensor& g) {
      // d loss / d log_probs is -g/N at each label: log-softmax's backward then
      // gives g/N * (softmax - onehot).
      const int64_t n = logits.size(0), classes = logits.size(1);
      std::vector<float> grad_log_probs(log_probs.size(), 0.0f);
      for (int64_t i = 0; i < n; ++i) grad_log_probs[i * classes + labels[i]] = -g.item() / n;
      kernels::log_softmax_backward_rows(log_probs.data(), grad_log_probs.data(), n, classes,
                                         grad_buffer(logits));
    });
  return out;
}

}  // namespace trit
