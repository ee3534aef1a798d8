// The tape: how trit computes gradients (read this first; it is the whole engine).
//
// 1. Forward. Each op computes its output eagerly. If gradient recording is on and any
//    input requires grad, the op appends one Entry to the thread's tape: its name, its
//    inputs, its output and a backward closure. The closure knows how to turn the
//    output's gradient into contributions to the inputs' gradients (chain rule), and it
//    captures whatever the forward pass saved for it (e.g. relu saves its output).
// 2. Backward. backward(loss) seeds d loss / d loss = 1, then walks the tape from the
//    newest entry to the oldest. Because an entry is always recorded after the entries
//    that produced its inputs, this reverse order is a valid topological order: when an
//    entry runs, its output's gradient is complete. Every closure *adds* (+=) into its
//    inputs' gradients, so a tensor used twice receives both contributions.
// 3. Release. After the walk the tape is cleared: saved activations are freed and the
//    gradients of intermediate (non-leaf) tensors are dropped. Leaves (parameters,
//    tensors made with set_requires_grad) keep .grad, accumulating across calls until
//    zero_grad().
//
// Calling backward twice on the same graph is an error ("the tape was released"), as is
// backward on a tensor that no recorded op produced. A NoGradGuard turns recording off
// in a scope (evaluation, optimiser updates). The tape is thread-local: a data-loading
// thread never records. Ops that run in evaluation mode without a NoGradGuard still
// record if their inputs require grad; clear_tape() discards such a graph.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

// Receives the gradient of the entry's output; adds into its inputs' gradients.
using BackwardFn = std::function<void(const Tensor& grad_output)>;

// True when recording is on and at least one input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);

// Appends an entry to this thread's tape and marks `output` as requiring grad.
// Call only when needs_grad(inputs) is true.
void record(const char* op, std::vector<Tensor> inputs, Tensor& output, BackwardFn backward);

// Runs reverse-mode differentiation from a one-element `loss`, then releases the tape.
void backward(const Tensor& loss);
// The same from any recorded `output`, seeded with d L / d output = `grad_output`
// (same shape), as PyTorch's y.backward(gradient).
void backward(const Tensor& output, const Tensor& grad_output);

// Number of entries on this thread's tape (for tests and diagnostics).
size_t tape_size();
// Discards this thread's tape without computing gradients.
void clear_tape();

bool grad_enabled();

// RAII scope with gradient recording off (restores the previous mode on exit).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace trit
