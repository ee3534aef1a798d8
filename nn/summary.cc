#include "nn/summary.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

#include "autograd/graph.h"

namespace trit::nn {
namespace {

int64_t own_parameters(const Module& module) {
  int64_t total = module.num_parameters();
  for (const auto& child : module.children()) total -= child.second->num_parameters();
  return total;
}

// "431080" -> "431,080"
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

// While alive: the forward observer records each module's output shape, and the tree is in
// evaluation mode. On exit the observer is cleared and every module's mode restored
// (parents first: train() propagates to children, which then get their own mode back).
class ShapeTrace {
 public:
  explicit ShapeTrace(Module& root) : root_(root), root_mode_(root.is_training()) {
    for (const auto& entry : root.named_modules())
      modes_.emplace_back(entry.second, entry.second->is_training());
    set_forward_observer([this](const Module& m, const Tensor& y) { outputs_[&m] = y.shape(); });
    root.eval();
  }
  ~ShapeTrace() {
    set_forward_observer(nullptr);
    root_.train(root_mode_);
    for (const auto& [module, mode] : modes_) module->train(mode);
  }
  ShapeTrace(const ShapeTrace&) = delete;
  ShapeTrace& operator=(const ShapeTrace&) = delete;

  const Shape* output_of(const Module& m) const {
    const auto it = outputs_.find(&m);
    return it == outputs_.end() ? nullptr : &it->second;
  }

 private:
  Module& root_;
  bool root_mode_;
  std::vector<std::pair<std::shared_ptr<Module>, bool>> modes_;
  std::map<const Module*, Shape> outputs_;
};

}  // namespace

Summary summary(Module& module, const Shape& input_shape) {
  Summary s;
  s.model = module.name();
  s.input = input_shape;
  ShapeTrace trace(module);
  {
    NoGradGuard no_grad;
    s.output = module(Tensor::zeros(input_shape)).shape();
  }
  for (const auto& [name, child] : module.named_modules()) {
    const Shape* output = trace.output_of(*child);
    s.rows.push_back({name, child->repr(), output ? *output : Shape{}, output != nullptr,
                      own_parameters(*child)});
  }
  s.parameters = module.num_parameters();
  for (const auto& entry : module.named_buffers()) s.buffers += entry.second.numel();
  return s;
}

std::string format_summary(const Summary& s) {
  std::vector<std::array<std::string, 4>> cells = {{"name", "layer", "output", "params"}};
  for (const SummaryRow& row : s.rows)
    cells.push_back({row.name, row.layer, row.called ? to_string(row.output) : "-",
                     with_commas(row.parameters)});
  std::array<size_t, 4> width{};
  for (const auto& line : cells)
    for (size_t c = 0; c < 4; ++c) width[c] = std::max(width[c], line[c].size());
  std::ostringstream out;
  out << "model " << s.model << ", input " << to_string(s.input) << " -> output "
      << to_string(s.output) << "\n";
  for (const auto& line : cells) {
    for (size_t c = 0; c < 3; ++c)
      out << line[c] << std::string(width[c] - line[c].size() + 2, ' ');
    out << std::string(width[3] - line[3].size(), ' ') << line[3] << "\n";
  }
  if (s.buffers > 0) out << "buffer values: " << s.buffers << "\n";
  out << "parameters: " << s.parameters << "\n";  // last line, plain digits (easy to parse)
  return out.str();
}

}  // namespace trit::nn
