// The tape: how trit computes gradients (read this first; it is the whole engine).
//
// 1. Forward. Each op computes its output eagerly. If gradient recording is on and any
//    input requires grad, the op appends one Entry to the thread's tape: its name, its
//    inputs, its output and a backward closure. The closure knows how to turn the
//    output's gradient into contributions to the inputs' gradients (chain rule), and it
//    captures whatever the forward pass saved for it (e.g. relu saves its output). The
//    walk below needs only the output and the closure; the name and the inputs are there
//    for you: tape_string() prints them.
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

// Receives the gradient of the entry's output; adds into its inputs' gradients with
// add_grad or grad_buffer (below).
using BackwardFn = std::function<void(const Tensor& grad_output)>;

// True when recording is on and at least one input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);

// Appends an entry to this thread's tape and marks `output` as requiring grad.
// Call only when needs_grad(inputs) is true. `op` is the op's name as its error messages
// spell it, a string literal: each op writes it once, `const char* op = "conv2d";`, and
// passes it to its checks and here.
void record(const char* op, std::vector<Tensor> inputs, Tensor& output, BackwardFn backward);

// --- Adding into an input's gradient: the one way a backward writes gradients ----------
// A backward closure *adds* its contribution d loss / d input into each input's gradient
// (+=, never =: see 2. above); the first contribution creates the gradient. Two entry
// points, by what the closure holds:
//
// - add_grad(input, g): a whole tensor g of the input's shape. When the input has no
//   gradient yet, g's storage becomes it (no copy, no zeros), so g must be the closure's
//   own: nothing writes or reads it afterwards and no other add_grad receives it (a tensor
//   the closure just computed, or its grad_output when exactly one input takes it as is).
// - grad_buffer(input): the gradient's numel() floats, zeros when just created, for a
//   kernel that adds into them through a raw pointer. grad_buffer(input, &fresh) is the same
//   without that zero fill, for a kernel that can also write (=): when it creates the
//   gradient the floats are uninitialised and fresh is true, and the kernel must write every
//   element (as if adding into zeros); otherwise fresh is false and it adds. A new
//   activation-sized gradient then costs one pass instead of a zero fill plus an add
//   (unary ops, conv2d, max_pool2d).
// Both take the input by const reference (a Tensor is a handle; closures hold const copies)
// and write whether or not it requires grad: a closure whose inputs may not all need a
// gradient checks requires_grad() before computing one.
void add_grad(const Tensor& input, const Tensor& g);  // throws if the shapes differ
float* grad_buffer(const Tensor& input);
float* grad_buffer(const Tensor& input, bool* fresh);

// Runs reverse-mode differentiation from a one-element `loss`, then releases the tape.
void backward(const Tensor& loss);
// The same from any recorded `output`, seeded with d L / d output = `grad_output`
// (same shape), as PyTorch's y.backward(gradient).
void backward(const Tensor& output, const Tensor& grad_output);

// Backward that says when each of some leaves' gradients is final, as PyTorch's
// post-accumulate-grad hooks (data-parallel training, distributed/data_parallel.h, starts
// reducing a parameter's gradient while backward goes on): watch.ready(i) is called once for
// each watch.leaves[i], right after the oldest tape entry that takes it as input has run
// (the walk adds nothing to it after that); leaves that no entry takes are ready before the
// walk. Finding the entries costs a scan of the tape's inputs against the watched leaves.
struct GradReadyWatch {
  std::vector<Tensor> leaves;
  std::function<void(size_t leaf)> ready;
};
void backward(const Tensor& output, const Tensor& grad_output, const GradReadyWatch& watch);

// Number of entries on this thread's tape (for tests and diagnostics).
size_t tape_size();
// This thread's tape, one line per entry, oldest first: the op's name, its inputs' shapes
// and its output's shape, e.g. "add([2,3], [2,3]) -> [2,3]\n" then "sum([2,3]) -> []\n".
// Empty when nothing is recorded.
std::string tape_string();
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
