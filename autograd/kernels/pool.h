// Pooling kernels over `planes` consecutive [height, width] planes with the window w
// (Highway, runtime dispatch once per call). Each output row is vectorised along the output
// width; stride 1 and 2 use plain loads, larger strides gather.
//
// max_pool2d: y = the window maximum (padding is never chosen); argmax = the index
//   iy * width + ix within its plane of the first maximum in (ky, kx) order, as PyTorch
//   (a NaN is never chosen); argmax may be nullptr (inference: the values alone, faster). Requires padding <= kernel / 2 (every window has an in-plane tap).
// max_pool2d_backward: dx[plane][argmax[o]] += dy[o] (a scalar scatter; windows may overlap);
//   with `overwrite`, each dx plane is zeroed first (while it is in cache) instead.
// avg_pool2d: y = window sum / (kernel_h * kernel_w), padding counted as zeros (PyTorch's
//   count_include_pad=true).
// avg_pool2d_backward: ADDS dy / (kernel_h * kernel_w) into every in-plane tap of the window.
// Shapes: x, dx are planes * w.plane(); y, dy, argmax are planes * w.out_plane().
#pragma once

#include <cstdint>

#include "autograd/kernels/window.h"

namespace trit::kernels {

void max_pool2d(const float* x, int64_t planes, const Window2d& w, float* y, int32_t* argmax);
void max_pool2d_backward(const float* dy, const int32_t* argmax, int64_t planes, const Window2d& w,
                         float* dx, bool overwrite = false);
void avg_pool2d(const float* x, int64_t planes, const Window2d& w, float* y);
void avg_pool2d_backward(const float* dy, int64_t planes, const Window2d& w, float* dx);

}  // namespace trit::kernels
