// Sliding-window geometries for the im2col and pooling kernel tests: rows of 1 to 1000
// pixels around the vector widths, kernels 1-3, strides 1-3 (plain, deinterleaved and
// gathered loads) and paddings 0-2 (at most half the kernel when pooling).
#pragma once

#include <doctest/doctest.h>

#include "autograd/kernels/window.h"

namespace trit::testing {

template <class Body>
void for_each_window(bool pooling, const Body& body) {
  for (int64_t width : {1, 7, 15, 16, 17, 33, 1000})
    for (int64_t kernel : {1, 2, 3})
      for (int64_t stride : {1, 2, 3})
        for (int64_t padding = 0; padding <= (pooling ? kernel / 2 : 2); ++padding) {
          const kernels::Window2d w{3, width, kernel, kernel, stride, padding};
          if (w.height + 2 * padding < kernel || width + 2 * padding < kernel) continue;
          CAPTURE(width);
          CAPTURE(kernel);
          CAPTURE(stride);
          CAPTURE(padding);
          body(w);
        }
}

}  // namespace trit::testing

namespace trit::testing {

// fn(output, input) for every in-plane tap of every window over `planes` planes, in
// (plane, oy, ox, ky, kx) order; both are indices into the whole output / input arrays.
template <class Fn>
void for_each_tap(int64_t planes, const kernels::Window2d& w, const Fn& fn) {
  int64_t output = 0;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < w.out_height(); ++oy)
      for (int64_t ox = 0; ox < w.out_width(); ++ox, ++output)
        for (int64_t ky = 0; ky < w.kernel_h; ++ky)
          for (int64_t kx = 0; kx < w.kernel_w; ++kx) {
            const int64_t iy = oy * w.stride - w.padding + ky;
            const int64_t ix = ox * w.stride - w.padding + kx;
            if (iy >= 0 && iy < w.height && ix >= 0 && ix < w.width)
              fn(output, (p * w.height + iy) * w.width + ix);
          }
}

}  // namespace trit::testing
