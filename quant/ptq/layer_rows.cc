#include "quant/ptq/layer_rows.h"

#include <algorithm>
#include <set>

#include "autograd/error.h"
#include "autograd/kernels/conv.h"
#include "autograd/random.h"

namespace trit::quant {
namespace {

kernels::Window2d conv_window(const QuantLayer& layer, const Tensor& input) {
  kernels::Window2d window;
  window.height = input.size(2);
  window.width = input.size(3);
  window.kernel_h = layer.kernel_h;
  window.kernel_w = layer.kernel_w;
  window.stride = layer.conv_options.stride;
  window.padding = layer.conv_options.padding;
  return window;
}

void check_input(const QuantLayer& layer, const Tensor& input) {
  const std::string shape = to_string(input.shape());
  if (!layer.conv) {
    check(input.dim() >= 1 && input.size(-1) == layer.n0, "layer_rows",
          layer.path + ": input " + shape + " does not end in " + std::to_string(layer.n0));
    return;
  }
  check(input.dim() == 4 && input.size(1) * layer.kernel_h * layer.kernel_w == layer.n0,
        "layer_rows",
        layer.path + ": input " + shape + " is not [N, C, H, W] with C = " +
            std::to_string(layer.n0 / (layer.kernel_h * layer.kernel_w)));
}

}  // namespace

int64_t available_rows(const QuantLayer& layer, const Tensor& input) {
  check_input(layer, input);
  if (!layer.conv) return input.numel() / layer.n0;
  return input.size(0) * conv_window(layer, input).out_plane();
}

std::vector<int64_t> sample_rows(int64_t available, int64_t wanted, uint64_t seed) {
  wanted = std::clamp<int64_t>(wanted, 0, available);
  // Floyd's algorithm: a uniformly random subset in O(wanted log wanted).
  Rng rng(seed);
  std::set<int64_t> chosen;
  for (int64_t j = available - wanted; j < available; ++j) {
    const int64_t t = static_cast<int64_t>(rng.below(static_cast<uint64_t>(j + 1)));
    if (!chosen.insert(t).second) chosen.insert(j);
  }
  return {chosen.begin(), chosen.end()};
}

Eigen::MatrixXd layer_rows(const QuantLayer& layer, const Tensor& input,
                           const std::vector<int64_t>& rows) {
  const int64_t available = available_rows(layer, input);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(rows.size()), layer.n0);
  for (size_t k = 0; k < rows.size(); ++k) {
    check(rows[k] >= 0 && rows[k] < available, "layer_rows",
          layer.path + ": row " + std::to_string(rows[k]) + " of " + std::to_string(available));
  }
  if (!layer.conv) {
    for (size_t k = 0; k < rows.size(); ++k) {
      const float* row = input.data() + rows[k] * layer.n0;
      for (int64_t i = 0; i < layer.n0; ++i) x(static_cast<Eigen::Index>(k), i) = row[i];
    }
    return x;
  }
  const kernels::Window2d window = conv_window(layer, input);
  const int64_t positions = window.out_plane(), channels = input.size(1);
  std::vector<float> columns(static_cast<size_t>(layer.n0 * positions));
  int64_t image = -1;
  for (size_t k = 0; k < rows.size(); ++k) {
    if (rows[k] / positions != image) {  // rows are grouped by image when sorted
      image = rows[k] / positions;
      kernels::im2col(input.data() + image * channels * window.plane(), channels, window,
                      columns.data());
    }
    const int64_t position = rows[k] % positions;
    for (int64_t i = 0; i < layer.n0; ++i)
      x(static_cast<Eigen::Index>(k), i) = columns[i * positions + position];
  }
  return x;
}

}  // namespace trit::quant
