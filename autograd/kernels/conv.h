// im2col / col2im: the layout change that turns a convolution into one GEMM (Caffe's scheme).
//
// For one image of `channels` planes of w.height x w.width and the window w, the column
// matrix has channels * kernel_h * kernel_w rows and w.out_plane() columns, row-major:
//   columns[(c * kernel_h + ky) * kernel_w + kx][oy * out_width + ox]
//     = image[c][oy * stride - padding + ky][ox * stride - padding + kx]   (0 in the padding)
// so weight[Cout, C*KH*KW] x columns = the convolution output [Cout, OH*OW].
// col2im is the adjoint: it ADDS every column entry into the image element it was read from.
// Highway, runtime dispatch once per call; rows are vectorised along the output width.
#pragma once

#include <cstdint>

#include "autograd/kernels/window.h"

namespace trit::kernels {

void im2col(const float* image, int64_t channels, const Window2d& w, float* columns);
void col2im(const float* columns, int64_t channels, const Window2d& w, float* image);

}  // namespace trit::kernels
