// A channel buffer: one NCHW tensor whose channel bands are filled one after another, the
// concatenation of a dense block (Huang et al. 2017) without repeated copies.
//
// Naive dense blocks compute concat(x, y1), concat(x, y1, y2), ...: every concatenation is
// a new tensor kept for backward, so memory grows quadratically with the layers. Here the
// block allocates its output once and each layer writes its k new channels into it
// (Pleiss et al. 2017, "Memory-Efficient Implementation of DenseNets"); layers read a
// channel prefix of it with norm_relu_conv2d (ops/norm_relu_conv.h), which saves nothing
// of the prefix either. Memory: the buffer and its gradient, linear in the layers.
//
// Contract
// - channel_buffer(x, channels): x [N, C, H, W] -> [N, channels, H, W] (channels >= C) with
//   x in channels [0, C); the others are uninitialised until written.
//   Backward: x's gradient += the buffer gradient's channels [0, C).
// - write_channels(buffer, y, start): buffer[:, start : start + K] = y for y [N, K, H, W],
//   IN PLACE, recorded on the tape with `buffer` as its output when y requires grad (the
//   buffer then requires grad too). Backward: y's gradient += the buffer gradient's band.
// - Write each band once, before any op that reads it is recorded, and never write
//   channels an op has read: then every value an op saved stays what it read, and in the
//   reverse walk every reader of a band (recorded later) has added its gradient before the
//   band's write hands it on. This relies on the tape keeping the buffer's gradient until
//   the end of the walk (graph.h: intermediate gradients are released after it).
// Errors name the op and shapes: "write_channels: band [8, 12) of buffer [2,10,4,4] for
// y [2,4,4,4] is out of range".
#pragma once

#include <cstdint>

#include "autograd/tensor.h"

namespace trit {

Tensor channel_buffer(const Tensor& x, int64_t channels);
void write_channels(Tensor& buffer, const Tensor& y, int64_t start);

}  // namespace trit
