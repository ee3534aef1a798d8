#include "autograd/ops/pool.h"

#include <algorithm>
#include <memory>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/pool.h"
#include "autograd/kernels/reduce.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

kernels::Window2d pool_window(const char* op, const Tensor& x, int64_t kernel, int64_t stride,
                              int64_t padding) {
  const kernels::Window2d w = make_window(op, x.shape(), kernel, kernel, stride, padding);
  check(2 * padding <= kernel, op, [&] {
    return "padding " + std::to_string(padding) + " is more than half the kernel " +
           std::to_string(kernel);
  });
  return w;
}

// body(first_plane, planes) over the N*C planes of x, split over the threads when they are
// large enough (planes are independent, so the split never changes a result).
template <class Body>
void for_planes(const Tensor& x, const Body& body) {
  constexpr int64_t kGrain = 1 << 15;  // input elements worth a thread
  const int64_t planes = x.size(0) * x.size(1);
  const int64_t chunks =
      kernels::worthwhile_chunks(planes, x.numel(), kGrain, kernels::num_threads());
  kernels::parallel_for_chunks(
      planes, chunks, [&](int64_t, int64_t begin, int64_t end) { body(begin, end - begin); });
}

Tensor pooled_output(const Tensor& x, const kernels::Window2d& w) {
  return Tensor::empty({x.size(0), x.size(1), w.out_height(), w.out_width()});
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const char* op = "max_pool2d";
  const kernels::Window2d w = pool_window(op, x, kernel, stride, padding);
  Tensor out = pooled_output(x, w);
  // The argmax only when backward will need it; uninitialised (the kernel writes every index).
  const bool backward = needs_grad({x});
  const std::shared_ptr<int32_t[]> argmax(backward ? new int32_t[size_t(out.numel())] : nullptr);
  const int64_t in_plane = w.plane(), out_plane = w.out_plane();
  for_planes(x, [&](int64_t first, int64_t planes) {
    kernels::max_pool2d(x.data() + first * in_plane, planes, w, out.data() + first * out_plane,
                        backward ? argmax.get() + first * out_plane : nullptr);
  });
  if (backward)
    record(op, {x}, out, [x, w, argmax](const Tensor& g) {
      bool fresh = false;  // a new gradient is written plane by plane, not zeroed first
      float* dx = grad_buffer(x, &fresh);
      for_planes(x, [&](int64_t first, int64_t planes) {
        const int64_t o = first * w.out_plane();
        kernels::max_pool2d_backward(g.data() + o, argmax.get() + o, planes, w,
                                     dx + first * w.plane(), fresh);
      });
    });
  return out;
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const char* op = "avg_pool2d";
  const kernels::Window2d w = pool_window(op, x, kernel, stride, padding);
  Tensor out = pooled_output(x, w);
  for_planes(x, [&](int64_t first, int64_t planes) {
    kernels::avg_pool2d(x.data() + first * w.plane(), planes, w,
                        out.data() + first * w.out_plane());
  });
  if (needs_grad({x}))
    record(op, {x}, out, [x, w](const Tensor& g) {
      float* dx = grad_buffer(x);
      for_planes(x, [&](int64_t first, int64_t planes) {
        kernels::avg_pool2d_backward(g.data() + first * w.out_plane(), planes, w,
                                     dx + first * w.plane());
      });
    });
  return out;
}

Tensor global_avg_pool2d(const Tensor& x) {
  const char* op = "global_avg_pool2d";
  check_nchw(op, x.shape());
  const int64_t plane = x.size(2) * x.size(3);
  check(plane > 0, op, "input " + to_string(x.shape()) + " has empty planes");
  Tensor out = Tensor::empty({x.size(0), x.size(1)});
  for_planes(x, [&](int64_t first, int64_t planes) {
    for (int64_t p = first; p < first + planes; ++p)
      out.data()[p] = kernels::sum(x.data() + p * plane, plane) / float(plane);
  });
  if (needs_grad({x}))
    record(op, {x}, out, [x, plane](const Tensor& g) {
      float* dx = grad_buffer(x);
      for_planes(x, [&](int64_t first, int64_t planes) {
        for (int64_t p = first; p < first + planes; ++p) {
          const float share = g.data()[p] / float(plane);
          kernels::binary(kernels::BinaryOp::kAdd, dx + p * plane, 1, &share, 0, dx + p * plane,
                          plane);
        }
      });
    });
  return out;
}

}  // namespace trit
