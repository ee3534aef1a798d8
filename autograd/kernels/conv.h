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
// col2im's column matrix may have rows ld floats apart (ld > 0; 0: w.out_plane(), packed), so
// one image's block of a matrix holding several images side by side can be read in place.
void col2im(const float* columns, int64_t channels, const Window2d& w, float* image,
            int64_t ld = 0);

// Stride-1 convolution without a column matrix ("wide rows", an implicit GEMM).
//
// Output position q = oy * width + ox runs over out_height() rows of `width` positions; tap
// k = (c, ky, kx) at q reads input[tap_offset(c, ky, kx) + q], one shifted contiguous run, so
// the GEMM's B operand needs no copy. Two layouts of the input:
// - wide (shifted == false): `channels` zero-padded planes of height x width (wide_input);
//   tap (c, ky, kx) is at c * plane + ky * width + kx, and the last kernel_w - 1 columns of
//   each output row are garbage that callers drop (narrow_planes).
// - shifted: kernel_w copies of each padded plane, copy (c, kx) shifted left by kx columns
//   and cut to width = the output width (shifted_input); tap (c, ky, kx) is at
//   (c * kernel_w + kx) * plane + ky * width. No garbage columns, for kernel_w times the
//   input: the better layout for narrow images, where the wide rows waste a large share.
// Positions are computed up to padded_positions(), a multiple of the widest vector; the reads
// past the last plane stay inside input_size() and only reach positions >= positions().
struct WideConv {
  static constexpr int64_t kAlign = 16;  // lanes of the widest vector

  int64_t channels, height, width, kernel_h, kernel_w;
  bool shifted = false;

  int64_t taps() const { return channels * kernel_h * kernel_w; }
  int64_t plane() const { return height * width; }
  int64_t out_height() const { return height - kernel_h + 1; }
  int64_t positions() const { return out_height() * width; }
  int64_t padded_positions() const { return (positions() + kAlign - 1) / kAlign * kAlign; }
  int64_t copies() const { return shifted ? kernel_w : 1; }  // planes per channel
  int64_t input_size() const { return channels * copies() * plane() + kernel_w + kAlign; }
  int64_t tap_offset(int64_t c, int64_t ky, int64_t kx) const {
    return shifted ? (c * kernel_w + kx) * plane() + ky * width : c * plane() + ky * width + kx;
  }
};

// out[co * ldo + q] (+)= bias[co] + sum over taps k of weight[co * taps + k] * (tap k at q),
// for co < out_channels and q < padded_positions(); weight is [out_channels, C, KH, KW],
// bias may be nullptr (none). Adds into out when `accumulate`, else overwrites.
void wide_conv(const float* input, const WideConv& g, const float* weight, const float* bias,
               int64_t out_channels, float* out, int64_t ldo, bool accumulate = false);

// `count` images for wide_conv_weight_grad: image i's input (as wide_conv's) at
// input + i * input_stride, its output gradient [out_channels][ldd] at dy + i * dy_stride.
struct WideImages {
  const float* input;
  int64_t input_stride;
  const float* dy;
  int64_t dy_stride, ldd, count;
};

// dw[co * taps + k] += sum over the images and q < padded_positions() of
// dy[co * ldd + q] * (tap k at q): the weight gradient, each element reduced in one fixed
// order. dy must be zero wherever it must not count (garbage columns, the rounding tail).
// Several images per call share the final horizontal sums (small images need that).
void wide_conv_weight_grad(const WideImages& images, const WideConv& g, int64_t out_channels,
                           float* dw);

// Layout copies. wide_input: the input of a wide g (input_size() floats) from `g.channels`
// planes of (height - 2 pad_h) x (width - 2 pad_w) inside a zero border, zeros after the
// last plane.
void wide_input(const float* x, const WideConv& g, int64_t pad_h, int64_t pad_w, float* input);
// shifted_input: the input of a shifted g (input_size() floats) from `g.channels` planes of
// (height - 2 padding) x (width + kernel_w - 1 - 2 padding) inside a zero border of
// `padding` (im2col with a 1 x kernel_w window), zeros after the last plane.
void shifted_input(const float* x, const WideConv& g, int64_t padding, float* input);
// widen_planes: wide[p * ldw + oy * wide_w + ox] = x[p][oy][ox], zeros in the other columns
// and up to ldw (the layout of wide_conv's output, for wide_conv_weight_grad's dy).
void widen_planes(const float* x, int64_t planes, int64_t h, int64_t w, int64_t wide_w, int64_t ldw,
                  float* wide);
// narrow_planes: out[p][oy][ox] (+)= wide[p * ldw + oy * wide_w + ox] for ox < w: drops the
// garbage columns; adds into out when `accumulate`, else overwrites.
void narrow_planes(const float* wide, int64_t planes, int64_t ldw, int64_t h, int64_t wide_w,
                   int64_t w, float* out, bool accumulate);

}  // namespace trit::kernels
