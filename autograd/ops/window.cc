#include "autograd/ops/window.h"

#include "autograd/error.h"

namespace trit {

void check_nchw(const std::string& op, const Shape& input) {
  check(input.size() == 4, op,
        [&] { return "input " + to_string(input) + " must be 4-d [N,C,H,W]"; });
}

// The checks run on every call of a convolution or pooling op: messages only on failure.
kernels::Window2d make_window(const std::string& op, const Shape& input, int64_t kernel_h,
                              int64_t kernel_w, int64_t stride, int64_t padding) {
  check_nchw(op, input);
  const auto kernel = [&] { return std::to_string(kernel_h) + "x" + std::to_string(kernel_w); };
  check(kernel_h >= 1 && kernel_w >= 1, op,
        [&] { return "kernel " + kernel() + " must be at least 1x1"; });
  check(stride >= 1, op, [&] { return "stride " + std::to_string(stride) + " must be >= 1"; });
  check(padding >= 0, op, [&] { return "padding " + std::to_string(padding) + " must be >= 0"; });
  check(input[2] + 2 * padding >= kernel_h && input[3] + 2 * padding >= kernel_w, op, [&] {
    return "input " + to_string(input) + " padded by " + std::to_string(padding) +
           " is smaller than the " + kernel() + " kernel";
  });
  return kernels::Window2d{input[2], input[3], kernel_h, kernel_w, stride, padding};
}

}  // namespace trit
