// Shape checks shared by the convolution and pooling ops: a validated Window2d for an NCHW
// input. Errors name the op and the shapes, e.g.
// "max_pool2d: input [1,1,2,2] padded by 0 is smaller than the 3x3 kernel".
#pragma once

#include <string>

#include "autograd/kernels/window.h"
#include "autograd/shape.h"

namespace trit {

// Throws "<op>: input [2,3] must be 4-d [N,C,H,W]" unless `input` has rank 4.
void check_nchw(const std::string& op, const Shape& input);

// The window of a kernel_h x kernel_w kernel over the planes of an NCHW `input`; checks
// rank 4, kernel >= 1x1, stride >= 1, padding >= 0 and that the padded plane holds the kernel.
kernels::Window2d make_window(const std::string& op, const Shape& input, int64_t kernel_h,
                              int64_t kernel_w, int64_t stride, int64_t padding);

}  // namespace trit
