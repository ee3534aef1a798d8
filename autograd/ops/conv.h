// conv2d: 2-D convolution (cross-correlation, as PyTorch's) of NCHW images.
//
//   x [N, Cin, H, W], weight [Cout, Cin / groups, KH, KW], bias [Cout] or Tensor() (none)
//   -> [N, Cout, OH, OW], OH = (H + 2 * padding - KH) / stride + 1, OW likewise.
// Channels split into `groups` independent convolutions (Cin and Cout divisible by groups).
// Backward: gradients for x, weight and bias, each only when it requires grad. Saves x and
// weight only: backward recomputes the columns.
//
// Implementation: stride-1 convs run on Highway implicit-GEMM kernels over zero-padded
// rows (kernels::wide_conv; 1x1 convs on the arrays themselves), strided ones on im2col +
// gemm; see ops/conv_image.h for the algorithms and why.
// Threads: images are split over the threads (per-image GEMMs are small: 20x25x576 and
// 50x500x64 for LeNet): one parallel region per call, where splitting each image's tiles
// would cost a region and a barrier per image; a single image leaves the threads to the
// kernels' tiles instead. dW is accumulated per fixed chunk of images
// (at most 16, a function of the shapes alone) into its own zeroed buffer, and the chunk
// buffers are summed in chunk order, so every result is bit-identical for any thread count.
#pragma once

#include <cstdint>

#include "autograd/tensor.h"

namespace trit {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;  // zeros on every side
  int64_t groups = 1;
};

// Errors name the op and shapes, e.g.
// "conv2d: input [2,3,8,8] has 3 channels, weight [4,2,3,3] expects 2 x groups 1".
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias,
              const Conv2dOptions& options = {});

}  // namespace trit
