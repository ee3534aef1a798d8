// bench_ternary: the packed 2-bit ternary inference path against the float path on the
// LeNet-5-Caffe layer shapes, at batch 128 and batch 1, on 1 and 2 threads.
//
//   ninja -C build-full bench/bench_ternary && build-full/bench/bench_ternary [repeats]
//
// Float path: linear (one gemm) or conv2d (im2col + gemm per image) with the unpacked weights
// level * code, the float layer a quantised model would otherwise keep. Ternary path:
// ternary_linear / ternary_conv2d on the packed codes (kernels::ternary_gemm decodes them
// on the fly). A timing is the mean over as many calls as fill about 10 ms; each number is
// the best of `repeats` timings, the two paths alternating (the best, not the median: on a
// shared machine other work only ever adds time). "wall" is the clock on the wall; "cpu"
// (1 thread only) divides by the calling thread's CPU time, which time spent descheduled
// does not inflate. speed-up = float time / ternary time.
// Weight memory: rows * cols float32 values vs the packed bytes plus the one float level.
// Build with --buildtype=release for meaningful numbers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/matmul.h"
#include "autograd/random.h"
#include "quant/ternary/ops.h"
#include "quant/ternary/pack.h"
#include "tests/ternary_testing.h"  // random codes, a third each of -1, 0, +1

using namespace trit;

namespace {

// One layer at one batch size, as the two paths run it.
struct Layer {
  std::string name;
  int64_t batch, rows, cols;  // the weight matrix [out, in] (conv: [Cout, Cin * KH * KW])
  std::function<void()> float_path, ternary_path;
};

// Wall-clock and calling-thread CPU seconds since construction.
struct Stopwatch {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = thread_cpu_seconds();

  static double thread_cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
  }
  double wall_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  }
  double cpu_seconds() const { return thread_cpu_seconds() - cpu; }
};

// Calls of `run` that fill about 10 ms (after a warm-up call).
int calls_for(const std::function<void()>& run) {
  run();
  const Stopwatch probe;
  run();
  return std::max(1, int(0.01 / std::max(probe.wall_seconds(), 1e-9)));
}

struct Seconds {
  double wall = 1e30, cpu = 1e30;  // per call, the best seen
};

// Times `calls` calls of `run` and keeps the best per-call times in `best`.
void time_calls(int calls, const std::function<void()>& run, Seconds& best) {
  const Stopwatch watch;
  for (int i = 0; i < calls; ++i) run();
  best.wall = std::min(best.wall, watch.wall_seconds() / calls);
  best.cpu = std::min(best.cpu, watch.cpu_seconds() / calls);
}

// The float and ternary paths' best times, timed alternately.
std::pair<Seconds, Seconds> best_seconds(const Layer& layer, int repeats) {
  const int float_calls = calls_for(layer.float_path);
  const int ternary_calls = calls_for(layer.ternary_path);
  Seconds float_s, ternary_s;
  for (int r = 0; r < repeats; ++r) {
    time_calls(float_calls, layer.float_path, float_s);
    time_calls(ternary_calls, layer.ternary_path, ternary_s);
  }
  return {float_s, ternary_s};
}

Layer linear_layer(const std::string& name, int64_t batch, int64_t in, int64_t out) {
  Rng rng(uint64_t(batch * in + out));
  const quant::PackedTernary packed = testing::random_ternary(out, in, 0.05f, 7);
  const Tensor weights = quant::ternary_to_float(packed);
  const Tensor x = Tensor::normal({batch, in}, 0.0f, 1.0f, rng);
  const Tensor bias = Tensor::normal({out}, 0.0f, 0.1f, rng);
  return {name,
          batch,
          out,
          in,
          [=] { linear(x, weights, bias); },
          [=] { quant::ternary_linear(x, packed, bias); }};
}

Layer conv_layer(const std::string& name, int64_t batch, int64_t in, int64_t out, int64_t size,
                 int64_t kernel) {
  Rng rng(uint64_t(batch * in + out));
  const quant::PackedTernary packed = testing::random_ternary(out, in * kernel * kernel, 0.05f, 7);
  const Tensor weights = quant::ternary_to_float(packed).view({out, in, kernel, kernel});
  const Tensor x = Tensor::normal({batch, in, size, size}, 0.0f, 1.0f, rng);
  const Tensor bias = Tensor::normal({out}, 0.0f, 0.1f, rng);
  return {name,
          batch,
          out,
          in * kernel * kernel,
          [=] { conv2d(x, weights, bias); },
          [=] { quant::ternary_conv2d(x, packed, kernel, 1, 0, bias); }};
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
  std::printf("dispatch target: %s; best of %d alternating repeats\n\n",
              kernels::dispatch_target().c_str(), repeats);
  std::vector<Layer> layers;
  for (int64_t batch : {128, 1}) {
    layers.push_back(linear_layer("fc1 800->500", batch, 800, 500));
    layers.push_back(linear_layer("fc2 500->10", batch, 500, 10));
    layers.push_back(conv_layer("conv2 20->50 5x5 12x12", batch, 20, 50, 12, 5));
  }
  std::printf("%-24s %5s %7s %10s %10s %9s %10s %10s %9s\n", "layer", "batch", "threads",
              "float us", "ternary us", "speed-up", "cpu float", "cpu tern.", "speed-up");
  const int saved = kernels::num_threads();
  for (const Layer& layer : layers)
    for (int threads : {1, 2}) {
      kernels::set_num_threads(threads);
      const auto [float_s, ternary_s] = best_seconds(layer, repeats);
      std::printf("%-24s %5lld %7d %10.1f %10.1f %8.2fx", layer.name.c_str(),
                  (long long)layer.batch, threads, 1e6 * float_s.wall, 1e6 * ternary_s.wall,
                  float_s.wall / ternary_s.wall);
      if (threads == 1)
        std::printf(" %10.1f %10.1f %8.2fx", 1e6 * float_s.cpu, 1e6 * ternary_s.cpu,
                    float_s.cpu / ternary_s.cpu);
      std::printf("\n");
    }
  kernels::set_num_threads(saved);

  std::printf("\n%-32s %14s %14s %8s\n", "weight memory", "float bytes", "ternary bytes", "ratio");
  for (const Layer& layer : layers) {
    if (layer.batch != 128) continue;  // the same weights at batch 1
    const int64_t float_bytes = layer.rows * layer.cols * int64_t(sizeof(float));
    const int64_t packed_bytes =
        layer.rows * quant::ternary_bytes_per_row(layer.cols) + int64_t(sizeof(float));
    std::printf("%-24s %14lld %14lld %7.1fx\n", layer.name.c_str(), (long long)float_bytes,
                (long long)packed_bytes, double(float_bytes) / double(packed_bytes));
  }
}
