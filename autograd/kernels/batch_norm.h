// Per-channel batch-norm kernels on raw float spans (Highway, runtime dispatch).
//
// One call handles one channel (one dispatch), so callers may spread channels over
// threads. A channel of an [N,C] or [N,C,H,W] array, given by a pointer to its first
// element, is `rows` = N runs of `length` = H*W floats (1 for [N,C]) that start `stride`
// = C*H*W floats apart. Sums run through SIMD lanes within a run and then into a double,
// run by run in order: a result depends on the layout and the SIMD target only, never on
// the thread count. rows or length may be 0 (sums are then 0).
#pragma once

#include <cstddef>

namespace trit::kernels {

struct ChannelLayout {
  size_t rows = 0, length = 0, stride = 0;
};

// Σ x over the channel.
double channel_sum(const float* x, const ChannelLayout& c);

// Σ (a - a_mean) * (b - b_mean) over the channel: with a = b = x and both means the
// channel mean it is the sum of squared deviations (two-pass variance); with a = g and
// a_mean = 0 it is Σ g * (x - mean), the batch-norm backward's second sum.
double channel_centered_dot(const float* a, float a_mean, const float* b, float b_mean,
                            const ChannelLayout& c);

// y = (x - mean) * scale + shift (y has x's layout; it may alias x).
void channel_normalize(const float* x, const ChannelLayout& c, float mean, float scale, float shift,
                       float* y);

// dx += a * g + b * (x - mean) + k (g, x and dx share the layout): the batch-norm input
// gradient with its per-channel coefficients folded into a, b and k.
void channel_input_grad_add(const float* g, const float* x, const ChannelLayout& c, float mean,
                            float a, float b, float k, float* dx);

}  // namespace trit::kernels
