// Fused batch-norm application + ReLU kernels for one channel that lives in two arrays
// with different channel counts (Highway, runtime dispatch once per call).
//
// x is a channel of a wide NCHW array (a dense block's buffer, whose first channels a layer
// reads); z and dz are the same channel of narrow arrays holding just those channels.
// A channel is `rows` = N runs of `length` = H*W floats; run r starts at r * x_stride in x
// and at r * z_stride in z and dz. Sums run through SIMD lanes within a run and then into a
// double, run by run in order (as kernels/batch_norm.h): results depend on the layout and
// the SIMD target only. rows or length may be 0.
#pragma once

#include <cstddef>

namespace trit::kernels {

struct ChannelPair {
  size_t rows = 0, length = 0, x_stride = 0, z_stride = 0;
};

// The channel's batch-norm affine map before the ReLU: u = (x - mean) * scale + shift.
struct NormAffine {
  float mean = 0.0f, scale = 1.0f, shift = 0.0f;
};

// z = max(u, 0).
void norm_relu(const float* x, const ChannelPair& c, const NormAffine& n, float* z);

// With g = dz where u > 0 (where the ReLU let the value through) and 0 elsewhere:
// dx += a * g (dx in x's layout; skipped when dx is null), and returns the batch-norm
// backward's two sums {sum of g, sum of g (x - mean)}. The mask is recomputed from x with
// norm_relu's arithmetic, so it is exactly z > 0.
struct NormGradSums {
  double sum = 0.0, centered = 0.0;
};
NormGradSums norm_relu_grad(const float* dz, const float* x, const ChannelPair& c,
                            const NormAffine& n, float a, float* dx);

// dx += b * (x - mean) + k over the channel in x's layout (z_stride is not used): the terms
// of the batch-norm input gradient that come from the batch statistics.
void add_centered(const float* x, const ChannelPair& c, float mean, float b, float k, float* dx);

}  // namespace trit::kernels
