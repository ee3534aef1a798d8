// summary(): a model's layers with their output shapes and parameter counts (`trit summary`).
//
// It runs one forward pass on zeros of `input_shape` (the full shape, batch included, e.g.
// [1,1,28,28]) in evaluation mode under NoGradGuard, watching every Module::operator() call
// (set_forward_observer), then restores each module's train/eval mode. BatchNorm running
// statistics and Dropout streams are untouched (evaluation draws and updates nothing).
// Rows follow named_modules() order (parents before children); a row's parameter count is
// the module's own parameters, without its children's, so the rows add up to the total.
// A module the forward pass never called gets an empty output shape and "-" in the table.
#pragma once

#include <string>
#include <vector>

#include "nn/module.h"

namespace trit::nn {

struct SummaryRow {
  std::string name;   // dotted path, "conv1" or "features.0"
  std::string layer;  // Module::repr(), "Conv2d(1, 20, kernel=5)"
  Shape output;       // of the module's last call; empty if it was not called
  bool called = false;
  int64_t parameters = 0;  // own parameters only
};

struct Summary {
  std::string model;  // Module::name()
  Shape input, output;
  std::vector<SummaryRow> rows;
  int64_t parameters = 0;  // all parameters
  int64_t buffers = 0;     // elements of all buffers
};

Summary summary(Module& module, const Shape& input_shape);

// A fixed-width table with a header line and the totals, e.g.
//   layer                      output         params
//   conv1  Conv2d(1, 20, kernel=5)  [1,20,24,24]   520
std::string format_summary(const Summary& summary);

}  // namespace trit::nn
