// A channel buffer: one NCHW tensor whose channel bands are filled one after another, the
// concatenation of a dense block (Huang et al. 2017) without repeated copies.
//
// Naive dense blocks compute concat(x, y1), concat(x, y1, y2), ...: every concatenation is
// a new tensor kept for backward, so memory grows quadratically with the layers. Here the
// block allocates its output once and each layer writes its k new channels into it
// (Pleiss et al. 2017, "Memory-Efficient Implementation of DenseNets"); layers read a
// channel prefix of it with norm_relu_conv2d (fused/norm_relu_conv.h), which saves nothing
// of the prefix either. Memory: the buffer and its gradient, linear in the layers.
//
// The ops on one buffer may share a ChannelStatistics. Every layer of a dense block
// normalises the buffer's first channels with the same batch mean and variance (only the
// affine parameters differ), so each channel's statistics are computed once, by the first
// norm_relu_conv2d that reads it. And the part of a batch-norm input gradient that comes
// from those statistics, slope (x - mean) + offset per channel, is the same shape for
// every layer: readers add their slopes and offsets to the shared sums instead of making
// a pass over the whole prefix, and the ops that hand the buffer's gradient on
// (write_channels and channel_buffer backward) add the owed terms of their band once.
//
// Contract
// - channel_buffer(x, channels): x [N, C, H, W] -> [N, channels, H, W] (channels >= C) with
//   x in channels [0, C); the others are uninitialised until written.
//   Backward: x's gradient += the buffer gradient's channels [0, C).
// - write_channels(buffer, y, start): buffer[:, start : start + K] = y for y [N, K, H, W],
//   IN PLACE, recorded on the tape with `buffer` as its output when y requires grad (the
//   buffer then requires grad too). Backward: y's gradient += the buffer gradient's band.
// - With `shared`, backward hands on the band's gradient plus the terms owed to it:
//   g + owed_slope[c] (x - mean[c]) + owed_offset[c] per channel c, x the band's values.
//   Give every op on the buffer the same `shared`, or none.
// - Write each band once, before any op that reads it is recorded, and never write
//   channels an op has read: then every value an op saved stays what it read, and in the
//   reverse walk every reader of a band (recorded later) has added its gradient before the
//   band's write hands it on. This relies on the tape keeping the buffer's gradient until
//   the end of the walk (graph.h: intermediate gradients are released after it).
// Errors name the op and shapes: "write_channels: band [8, 12) of buffer [2,10,4,4] for
// y [2,4,4,4] is out of range".
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/tensor.h"

namespace trit {

// What the ops on one channel buffer share (see above). Channels [0, mean.size()) have
// their batch statistics; channel c's gradient is owed owed_slope[c] (x - mean[c]) +
// owed_offset[c] beyond what has been added to it (the owed vectors may be shorter than
// mean: zeros past their end).
struct ChannelStatistics {
  std::vector<float> mean;
  std::vector<double> squares;  // sum of (x - mean)^2 over the channel
  double count = 0.0;           // values per channel (over every process when synchronised)
  std::vector<double> owed_slope, owed_offset;
};

Tensor channel_buffer(const Tensor& x, int64_t channels,
                      std::shared_ptr<ChannelStatistics> shared = nullptr);
void write_channels(Tensor& buffer, const Tensor& y, int64_t start,
                    std::shared_ptr<ChannelStatistics> shared = nullptr);

}  // namespace trit
