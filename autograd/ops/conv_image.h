// How conv2d convolves one image: the per-image forward and backward of its three
// algorithms, on raw arrays. conv.cc validates shapes, splits images over threads and
// reduces weight gradients; this file does the arithmetic of one image.
//
// Algorithms (chosen by ConvPlan::algorithm(), measured with bench/bench_conv):
//   wide       stride-1 convs with padding < kernel: kernels::wide_conv, an implicit GEMM
//              reading shifted rows of a zero-padded copy of the image (no column matrix,
//              no packing; about twice im2col + gemm's throughput on DenseNet's 3x3
//              convs, figures in docs/performance.md). Small images use the
//              shifted layout (kernel_w shifted copies, no garbage columns; see
//              kernels::WideConv), which then writes the output and reads dy in place. dx is
//              the same kernel on the padded dy with the weights flipped and transposed
//              (unless that dy is mostly padding: then gemm + col2im, see
//              wide_input_grad_pays); dW is kernels::wide_conv_weight_grad over several
//              images per call.
//   pointwise  1x1 stride-1 unpadded convs whose planes are a multiple of 16 pixels: the
//              wide kernels run on the input, output and gradient arrays themselves (a
//              plane already is the GEMM's B matrix [Cin/groups, H*W]), with no copies.
//   im2col     everything else (strides > 1): im2col + gemm, col2im for dx (Caffe).
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/kernels/conv.h"
#include "autograd/kernels/window.h"

namespace trit::conv_image {

enum class Algorithm { kPointwise, kWide, kIm2col };

// The sizes of one conv2d call and where group g of image n lives in each array.
struct ConvPlan {
  int64_t batch, in_channels, out_channels, groups;
  kernels::Window2d window;

  int64_t group_in() const { return in_channels / groups; }
  int64_t group_out() const { return out_channels / groups; }
  int64_t kernel_size() const { return window.kernel_h * window.kernel_w; }
  int64_t column_rows() const { return group_in() * kernel_size(); }  // GEMM inner size
  int64_t positions() const { return window.out_plane(); }            // output pixels
  int64_t multiply_adds() const { return batch * out_channels * column_rows() * positions(); }
  Algorithm algorithm() const;

  // The padded input of the wide forward (and of dW), and the padded dy of the wide dx.
  kernels::WideConv wide_forward() const;
  kernels::WideConv wide_input_grad() const;
  // Whether dx runs on the wide kernel (else gemm + col2im): not when the padded dy is mostly
  // zeros, as with small outputs of large kernels.
  bool wide_input_grad_pays() const;

  int64_t input_offset(int64_t n, int64_t g) const {
    return (n * in_channels + g * group_in()) * window.plane();
  }
  int64_t output_offset(int64_t n, int64_t g) const {
    return (n * out_channels + g * group_out()) * positions();
  }
  int64_t weight_offset(int64_t g) const { return g * group_out() * column_rows(); }
};

// Floats of per-thread scratch that forward_image / backward_images need.
int64_t forward_scratch(const ConvPlan& p);
int64_t backward_scratch(const ConvPlan& p);

struct ForwardArrays {
  const float* x;
  const float* weight;
  const float* bias;  // nullptr: none
  float* out;
};
// out[n] = conv(x[n], weight) + bias.
void forward_image(const ConvPlan& p, const ForwardArrays& a, int64_t n, float* scratch);

// What backward_image reads and writes; dx or dw may be nullptr (not wanted).
struct BackwardArrays {
  const float* x;
  const float* weight;
  const float* flipped;  // flip_weight(p, weight) for the wide algorithms' dx, else unused
  const float* dy;
  float* dx;              // += the input gradients
  float* dw;              // += the weight gradient, summed over the images in a fixed order
  bool dx_fresh = false;  // dx is uninitialised: the input gradients are written, not added
};
void backward_images(const ConvPlan& p, const BackwardArrays& a, int64_t begin, int64_t end,
                     float* scratch);

// Per group, weight [Cout/g][Cin/g][KH][KW] -> [Cin/g][Cout/g][KH][KW] rotated by 180 degrees:
// the kernel that convolves the padded dy into dx.
std::vector<float> flip_weight(const ConvPlan& p, const float* weight);

}  // namespace trit::conv_image
