#include "autograd/graph.h"

#include <algorithm>

#include "autograd/error.h"
#include "autograd/kernels/elementwise.h"

namespace trit {
namespace {

struct Entry {
  const char* op;
  std::vector<Tensor> inputs;
  Tensor output;
  BackwardFn backward;
};

thread_local std::vector<Entry> tape;
thread_local bool recording = true;

}  // namespace

bool grad_enabled() { return recording; }

NoGradGuard::NoGradGuard() : previous_(recording) { recording = false; }
NoGradGuard::~NoGradGuard() { recording = previous_; }

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!recording) return false;
  return std::any_of(inputs.begin(), inputs.end(),
                     [](const Tensor& t) { return t.defined() && t.requires_grad(); });
}

void record(const char* op, std::vector<Tensor> inputs, Tensor& output, BackwardFn backward) {
  output.set_requires_grad(true);
  tape.push_back(Entry{op, std::move(inputs), output, std::move(backward)});
}

void add_grad(const Tensor& input, const Tensor& g) {
  check(g.shape() == input.shape(), "add_grad",
        "gradient " + to_string(g.shape()) + " for a tensor of shape " + to_string(input.shape()));
  if (!input.has_grad()) return input.share_grad(g);
  kernels::axpy(1.0f, g.data(), input.grad().data(), input.numel());
}

float* grad_buffer(const Tensor& input, bool* fresh) {
  *fresh = !input.has_grad();
  return *fresh ? input.create_grad() : input.grad().data();
}

float* grad_buffer(const Tensor& input) {
  bool fresh = false;
  float* grad = grad_buffer(input, &fresh);
  if (fresh) std::fill(grad, grad + input.numel(), 0.0f);
  return grad;
}

size_t tape_size() { return tape.size(); }

std::string tape_string() {
  std::string text;
  for (const Entry& entry : tape) {
    text += std::string(entry.op) + "(";
    for (size_t i = 0; i < entry.inputs.size(); ++i) {
      if (i > 0) text += ", ";
      text += to_string(entry.inputs[i].shape());
    }
    text += ") -> " + to_string(entry.output.shape()) + "\n";
  }
  return text;
}

void clear_tape() { tape.clear(); }

void backward(const Tensor& loss) {
  check(loss.numel() == 1, "backward",
        "the loss must have one element, got shape " + to_string(loss.shape()));
  backward(loss, Tensor::ones(loss.shape()));
}

void backward(const Tensor& output, const Tensor& grad_output) {
  backward(output, grad_output, GradReadyWatch{});
}

namespace {

// For each tape entry, the watched leaves whose last use in the reverse walk it is.
std::vector<std::vector<size_t>> ready_after(const std::vector<Tensor>& leaves,
                                             std::vector<size_t>& unused) {
  std::vector<std::vector<size_t>> after(tape.size());
  std::vector<bool> found(leaves.size(), false);
  for (size_t e = 0; e < tape.size(); ++e)
    for (const Tensor& input : tape[e].inputs) {
      if (!input.defined() || !input.requires_grad()) continue;
      for (size_t i = 0; i < leaves.size(); ++i)
        if (!found[i] && input.is_same(leaves[i])) {
          found[i] = true;
          after[e].push_back(i);
        }
    }
  for (size_t i = 0; i < leaves.size(); ++i)
    if (!found[i]) unused.push_back(i);
  return after;
}

}  // namespace

void backward(const Tensor& output, const Tensor& grad_output, const GradReadyWatch& watch) {
  check(grad_output.shape() == output.shape(), "backward",
        "gradient of shape " + to_string(grad_output.shape()) + " for an output of shape " +
            to_string(output.shape()));
  check(output.requires_grad(), "backward",
        "the output does not require grad (no recorded op produced it; was it computed under "
        "NoGradGuard or from tensors without requires_grad?)");
  const auto produced_output = [&](const Entry& e) { return e.output.is_same(output); };
  check(std::any_of(tape.begin(), tape.end(), produced_output), "backward",
        "the output is not on the tape: backward was already called on this graph (the tape "
        "is released after backward) or the graph was cleared");

  std::vector<std::vector<size_t>> after;
  if (watch.ready) {
    std::vector<size_t> unused;
    after = ready_after(watch.leaves, unused);
    for (size_t i : unused) watch.ready(i);
  }
  float* seed_grad = grad_buffer(output);
  const float* seed_values = grad_output.data();
  for (int64_t i = 0, n = output.numel(); i < n; ++i) seed_grad[i] += seed_values[i];
  for (size_t e = tape.size(); e-- > 0;) {
    Entry& entry = tape[e];
    if (entry.output.has_grad()) entry.backward(entry.output.grad());
    if (watch.ready)
      for (size_t i : after[e]) watch.ready(i);
  }
  // Release: intermediate gradients go with the tape; leaves keep theirs.
  for (Entry& entry : tape) entry.output.zero_grad();
  tape.clear();
}

}  // namespace trit
