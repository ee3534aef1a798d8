// conv2d speed: GFLOP/s of forward and backward (dx + dW) for the LeNet-5 and DenseNet-BC-40
// convolution shapes, at 1 and 2 threads. Medians of repeats; build with --buildtype=release.
//
//   ninja -C build-full bench/bench_conv && build-full/bench/bench_conv [repeats]
//
// FLOPs are 2 per multiply-add of the convolution itself: forward N*Cout*(Cin/g*KH*KW)*OH*OW
// multiply-adds, backward twice that (input and weight gradients; bias sums not counted).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/conv.h"
#include "autograd/random.h"

using namespace trit;

namespace {

struct Shape4 {
  const char* name;
  int64_t batch, in_channels, out_channels, size, kernel, padding;
};

const Shape4 kShapes[] = {
    {"lenet conv1 1->20 5x5 28x28", 128, 1, 20, 28, 5, 0},
    {"lenet conv2 20->50 5x5 12x12", 128, 20, 50, 12, 5, 0},
    {"densenet 3x3 48->12 32x32", 64, 48, 12, 32, 3, 1},
    {"densenet 3x3 48->12 16x16", 64, 48, 12, 16, 3, 1},
    {"densenet 3x3 48->12 8x8", 64, 48, 12, 8, 3, 1},
    {"densenet 1x1 84->48 32x32", 64, 84, 48, 32, 1, 0},
    {"densenet 1x1 108->48 16x16", 64, 108, 48, 16, 1, 0},
    {"densenet 1x1 120->48 8x8", 64, 120, 48, 8, 1, 0},
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timing {
  double forward, backward;  // median seconds
};

Timing time_conv(const Shape4& s, int repeats) {
  Rng rng(1);
  Tensor x = Tensor::normal({s.batch, s.in_channels, s.size, s.size}, 0.0f, 1.0f, rng);
  Tensor w = Tensor::normal({s.out_channels, s.in_channels, s.kernel, s.kernel}, 0.0f, 0.1f, rng);
  Tensor b = Tensor::zeros({s.out_channels});
  for (Tensor* t : {&x, &w, &b}) t->set_requires_grad(true);
  const Conv2dOptions options{1, s.padding, 1};
  std::vector<double> forward, backward_times;
  for (int r = 0; r <= repeats; ++r) {  // r == 0 warms up
    auto start = std::chrono::steady_clock::now();
    const Tensor y = conv2d(x, w, b, options);
    const double f = seconds_since(start);
    const Tensor dy = Tensor::ones(y.shape());
    start = std::chrono::steady_clock::now();
    trit::backward(y, dy);
    const double bwd = seconds_since(start);
    if (r == 0) continue;
    forward.push_back(f);
    backward_times.push_back(bwd);
  }
  return {median(forward), median(backward_times)};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
  std::printf("bench_conv: target %s, median of %d repeats\n", kernels::dispatch_target().c_str(),
              repeats);
  std::printf("%-30s %7s %10s %10s %10s %10s\n", "shape (batch 128 lenet, 64 densenet)", "threads",
              "fwd ms", "fwd GF/s", "bwd ms", "bwd GF/s");
  for (const Shape4& s : kShapes) {
    const int64_t out = s.size + 2 * s.padding - s.kernel + 1;
    const double flops =
        2.0 * s.batch * s.out_channels * s.in_channels * s.kernel * s.kernel * out * out;
    for (int threads : {1, 2}) {
      kernels::set_num_threads(threads);
      const Timing t = time_conv(s, repeats);
      std::printf("%-30s %7d %10.3f %10.1f %10.3f %10.1f\n", s.name, threads, t.forward * 1e3,
                  flops / t.forward * 1e-9, t.backward * 1e3, 2 * flops / t.backward * 1e-9);
    }
  }
  return 0;
}
