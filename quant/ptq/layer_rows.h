// The calibration data X of one layer (ptq.md §1, §5.3): rows are samples, N0 columns.
//
// A Linear's input [N, in] gives one row per sample. A Conv2d's input [N, C, H, W] gives one
// row per image and output position: the im2col patch (kernels::im2col order, the layer's
// stride and padding), row index = image * OH OW + position. Rows are chosen by index, so the
// float network and the quantised network can be sampled at exactly the same patches.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "autograd/tensor.h"
#include "quant/ptq/network_layers.h"

namespace trit::quant {

// Rows `input` holds for `layer` (N for a Linear on [N, in], N OH OW for a Conv2d).
// Throws trit::Error when the input's shape does not fit the layer.
int64_t available_rows(const QuantLayer& layer, const Tensor& input);

// min(wanted, available) distinct indices in [0, available), drawn from `seed` alone, sorted.
std::vector<int64_t> sample_rows(int64_t available, int64_t wanted, uint64_t seed);

// X (rows.size() x N0) in double: row k is row rows[k] of the layer's data.
Eigen::MatrixXd layer_rows(const QuantLayer& layer, const Tensor& input,
                           const std::vector<int64_t>& rows);

}  // namespace trit::quant
