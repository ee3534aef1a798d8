// Fused batch-norm application + ReLU kernels for one channel that lives in two arrays
// with different channel counts (Highway, runtime dispatch once per call).
//
// x is a channel of a wide NCHW array (a dense block's buffer, whose first channels a layer
// reads); z is the same channel of a narrow scratch array holding just those channels.
// A channel is `rows` = N runs of `length` = H*W floats; run r starts at r * x_stride in x
// and at r * z_stride in z. Sums run through SIMD lanes within a run and then into a
// double, run by run in order (as kernels/batch_norm.h): results depend on the layout and
// the SIMD target only. rows or length may be 0.
#pragma once

#include <cstddef>

namespace trit::kernels {

struct ChannelPair {
  size_t rows = 0, length = 0, x_stride = 0, z_stride = 0;
};

// z = max((x - mean) * scale + shift, 0).
void norm_relu(const float* x, const ChannelPair& c, float mean, float scale, float shift,
               float* z);

// The ReLU's backward in place, then the batch-norm backward's two sums:
// dz *= (z > 0); returns {Σ dz, Σ dz * (x - mean)} (dz and z in z's layout).
struct NormGradSums {
  double sum = 0.0, centered = 0.0;
};
NormGradSums relu_grad_sums(float* dz, const float* z, const float* x, const ChannelPair& c,
                            float mean);

// dx += a * dz + b * (x - mean) + k, dx in x's layout and dz in z's: the batch-norm input
// gradient with its per-channel coefficients folded into a, b and k.
void norm_input_grad_add(const float* dz, const float* x, const ChannelPair& c, float mean, float a,
                         float b, float k, float* dx);

}  // namespace trit::kernels
