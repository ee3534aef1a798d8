// conv2d speed: GFLOP/s of forward and backward (dx + dW) for the LeNet-5 and DenseNet-BC-40
// convolution shapes, at 1 and 2 threads. Medians of repeats; build with --buildtype=release.
//
//   ninja -C build-full bench/bench_conv && build-full/bench/bench_conv [repeats [filter
//   [threads]]]
// (filter: only the shapes whose name contains it, e.g. "lenet"; threads: one count only).
// "cpu" columns divide by the process CPU time instead of wall time (all threads together):
// on a shared, busy machine they show what the code does when it runs, per core.
//
// FLOPs are 2 per multiply-add of the convolution itself: forward N*Cout*(Cin/g*KH*KW)*OH*OW
// multiply-adds, backward twice that (input and weight gradients; bias sums not counted),
// or once for a first layer (conv1, stem), whose input needs no gradient.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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
  bool input_grad;  // false for a network's first layer: its backward computes dW only
};

const Shape4 kShapes[] = {
    {"lenet conv1 1->20 5x5 28x28", 128, 1, 20, 28, 5, 0, false},
    {"lenet conv2 20->50 5x5 12x12", 128, 20, 50, 12, 5, 0, true},
    {"densenet stem 3->24 3x3 32x32", 64, 3, 24, 32, 3, 1, false},
    {"densenet 3x3 48->12 32x32", 64, 48, 12, 32, 3, 1, true},
    {"densenet 3x3 48->12 16x16", 64, 48, 12, 16, 3, 1, true},
    {"densenet 3x3 48->12 8x8", 64, 48, 12, 8, 3, 1, true},
    {"densenet 1x1 84->48 32x32", 64, 84, 48, 32, 1, 0, true},
    {"densenet 1x1 108->48 16x16", 64, 108, 48, 16, 1, 0, true},
    {"densenet 1x1 120->48 8x8", 64, 120, 48, 8, 1, 0, true},
};

// Wall and process CPU seconds from one point on.
struct Stopwatch {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();
  double wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  }
  double cpu_seconds() const { return double(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timing {
  double forward, backward, forward_cpu, backward_cpu;  // median seconds
};

Timing time_conv(const Shape4& s, int repeats) {
  Rng rng(1);
  Tensor x = Tensor::normal({s.batch, s.in_channels, s.size, s.size}, 0.0f, 1.0f, rng);
  Tensor w = Tensor::normal({s.out_channels, s.in_channels, s.kernel, s.kernel}, 0.0f, 0.1f, rng);
  Tensor b = Tensor::zeros({s.out_channels});
  x.set_requires_grad(s.input_grad);
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  const Conv2dOptions options{1, s.padding, 1};
  const Tensor dy = Tensor::normal(conv2d(x, w, b, options).shape(), 0.0f, 1.0f, rng);
  clear_tape();
  std::vector<double> times[4];         // forward, backward; wall then cpu
  for (int r = 0; r <= repeats; ++r) {  // r == 0 warms up
    const Stopwatch forward;
    Tensor y = conv2d(x, w, b, options);
    const double f[2] = {forward.wall_seconds(), forward.cpu_seconds()};
    grad_buffer(y);  // allocated and zeroed here: backward times seeding + the conv only
    const Stopwatch backward;
    trit::backward(y, dy);
    const double bwd[2] = {backward.wall_seconds(), backward.cpu_seconds()};
    if (r == 0) continue;
    times[0].push_back(f[0]);
    times[1].push_back(bwd[0]);
    times[2].push_back(f[1]);
    times[3].push_back(bwd[1]);
  }
  return {median(times[0]), median(times[1]), median(times[2]), median(times[3])};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 9;
  const std::string filter = argc > 2 ? argv[2] : "";
  std::vector<int> thread_counts = {1, 2};
  if (argc > 3) thread_counts = {std::max(1, std::atoi(argv[3]))};
  std::printf("bench_conv: target %s, median of %d repeats\n", kernels::dispatch_target().c_str(),
              repeats);
  std::printf("%-30s %7s %8s %8s %8s %8s %8s %8s\n", "shape (batch: lenet 128, densenet 64)",
              "threads", "fwd ms", "fwd GF/s", "cpu GF/s", "bwd ms", "bwd GF/s", "cpu GF/s");
  for (const Shape4& s : kShapes) {
    if (std::string(s.name).find(filter) == std::string::npos) continue;
    const int64_t out = s.size + 2 * s.padding - s.kernel + 1;
    const double flops =
        2.0 * s.batch * s.out_channels * s.in_channels * s.kernel * s.kernel * out * out;
    const double backward_flops = (s.input_grad ? 2 : 1) * flops;
    for (int threads : thread_counts) {
      kernels::set_num_threads(threads);
      const Timing t = time_conv(s, repeats);
      std::printf("%-30s %7d %8.2f %8.1f %8.1f %8.2f %8.1f %8.1f\n", s.name, threads,
                  t.forward * 1e3, flops / t.forward * 1e-9, flops / t.forward_cpu * 1e-9,
                  t.backward * 1e3, backward_flops / t.backward * 1e-9,
                  backward_flops / t.backward_cpu * 1e-9);
    }
  }
  return 0;
}
