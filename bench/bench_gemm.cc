// bench_gemm: sgemm speed on this machine, as GFLOP/s and as a ratio to its FMA peak.
//
// The peak is measured, not looked up: one thread runs a register-only MulAdd loop
// (independent accumulators, no memory traffic) on the dispatched Highway target.
// Then kernels::gemm runs on square sizes and on the LeNet-5 fully connected shapes
// (forward and both backward gemms, batch 128) at 1 and 2 threads; each number is the
// median of several timed repeats. Build with buildtype=release for meaningful numbers.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/bench_gemm.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "autograd/kernels/gemm.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/random.h"

HWY_BEFORE_NAMESPACE();
namespace trit::bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs `iterations` x 12 independent vector MulAdds; returns the floating-point ops done.
double FmaLoopImpl(int64_t iterations, float* sink) {
  const hn::ScalableTag<float> d;
  const auto m = hn::Set(d, 0.999999f), x = hn::Set(d, 1e-7f);
  // Distinct starting values, so the compiler cannot merge the twelve chains into one.
  const auto start = [&](float i) { return hn::Set(d, 1.0f + i); };
  auto a0 = start(0), a1 = start(1), a2 = start(2), a3 = start(3), a4 = start(4);
  auto a5 = start(5), a6 = start(6), a7 = start(7), a8 = start(8), a9 = start(9);
  auto a10 = start(10), a11 = start(11);
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = hn::MulAdd(a0, m, x), a1 = hn::MulAdd(a1, m, x), a2 = hn::MulAdd(a2, m, x);
    a3 = hn::MulAdd(a3, m, x), a4 = hn::MulAdd(a4, m, x), a5 = hn::MulAdd(a5, m, x);
    a6 = hn::MulAdd(a6, m, x), a7 = hn::MulAdd(a7, m, x), a8 = hn::MulAdd(a8, m, x);
    a9 = hn::MulAdd(a9, m, x), a10 = hn::MulAdd(a10, m, x), a11 = hn::MulAdd(a11, m, x);
  }
  const auto total = hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)),
                             hn::Add(hn::Add(hn::Add(a4, a5), hn::Add(a6, a7)),
                                     hn::Add(hn::Add(a8, a9), hn::Add(a10, a11))));
  *sink = hn::GetLane(hn::SumOfLanes(d, total));
  return 2.0 * 12 * double(hn::Lanes(d)) * double(iterations);
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::bench {
namespace {

HWY_EXPORT(FmaLoopImpl);

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds used by the calling thread so far.
double thread_cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// GFLOP/s by the clock on the wall, and per CPU second of the calling thread (the latter
// is robust when other processes share the cores, but only meaningful for one thread).
struct Rate {
  double wall, cpu;
};

// Medians over `repeats` of the GFLOP/s of `run`, which performs `flops` per call; each
// repeat calls it enough times to last about 20 ms.
template <class Run>
Rate median_gflops(double flops, int repeats, const Run& run) {
  run();  // warm caches and scratch buffers
  const auto probe = std::chrono::steady_clock::now();
  run();
  const int calls = std::max(1, int(0.02 / std::max(seconds_since(probe), 1e-9)));
  std::vector<double> wall, cpu;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    for (int i = 0; i < calls; ++i) run();
    wall.push_back(flops * calls / seconds_since(start) * 1e-9);
    cpu.push_back(flops * calls / std::max(thread_cpu_seconds() - cpu_start, 1e-9) * 1e-9);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

Rate fma_peak_gflops() {
  volatile float sink = 0.0f;  // keeps the accumulators alive
  float result = 0.0f;
  const int64_t iterations = 1 << 22;
  const double flops = HWY_DYNAMIC_DISPATCH(FmaLoopImpl)(iterations, &result);
  return median_gflops(flops, 7, [&] {
    HWY_DYNAMIC_DISPATCH(FmaLoopImpl)(iterations, &result);
    sink = result;
  });
}

struct Shape {
  std::string name;
  bool trans_a, trans_b;
  int64_t m, n, k;
};

std::vector<float> random_matrix(int64_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(size_t(std::max<int64_t>(count, 1)));
  for (float& x : v) x = rng.normal();
  return v;
}

Rate gemm_gflops(const Shape& s, bool reference) {
  const auto a = random_matrix(s.m * s.k, 1), b = random_matrix(s.k * s.n, 2);
  auto c = random_matrix(s.m * s.n, 3);
  const int64_t lda = s.trans_a ? s.m : s.k, ldb = s.trans_b ? s.k : s.n;
  const auto gemm = reference ? kernels::gemm_reference : kernels::gemm;
  return median_gflops(2.0 * s.m * s.n * s.k, reference ? 3 : 9, [&] {
    gemm(s.trans_a, s.trans_b, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(),
         s.n);
  });
}

void run() {
  std::printf("dispatch target: %s\n", kernels::dispatch_target().c_str());
  const Rate peak = fma_peak_gflops();
  std::printf("measured FP32 FMA peak, 1 thread: %.1f GFLOP/s (%.1f per CPU second)\n\n", peak.wall,
              peak.cpu);

  std::vector<Shape> shapes;
  for (int64_t s : {128, 256, 512, 768, 1024})
    shapes.push_back({"square " + std::to_string(s), false, false, s, s, s});
  // LeNet-5 fully connected layers at batch 128: y = x W^T, dx = g W, dW = g^T x.
  shapes.push_back({"fc1 fwd  x W^T  800->500", false, true, 128, 500, 800});
  shapes.push_back({"fc1 bwd  dx = g W", false, false, 128, 800, 500});
  shapes.push_back({"fc1 bwd  dW = g^T x", true, false, 500, 800, 128});
  shapes.push_back({"fc2 fwd  x W^T  500->10", false, true, 128, 10, 500});
  shapes.push_back({"fc2 bwd  dx = g W", false, false, 128, 500, 10});
  shapes.push_back({"fc2 bwd  dW = g^T x", true, false, 10, 500, 128});

  std::printf("GFLOP/s, median of repeats; \"cpu\" divides by the thread's CPU seconds\n");
  std::printf("%-26s %15s %9s %8s %9s %9s %9s\n", "sgemm", "m x n x k", "1 thread", "of peak",
              "1T cpu", "2 threads", "of 2 pk");
  const int saved = kernels::num_threads();
  for (const Shape& s : shapes) {
    kernels::set_num_threads(1);
    const Rate one = gemm_gflops(s, false);
    kernels::set_num_threads(2);
    const Rate two = gemm_gflops(s, false);
    const std::string dims =
        std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k);
    std::printf("%-26s %15s %9.1f %7.0f%% %9.1f %9.1f %8.0f%%\n", s.name.c_str(), dims.c_str(),
                one.wall, 100 * one.wall / peak.wall, one.cpu, two.wall,
                100 * two.wall / (2 * peak.wall));
  }
  kernels::set_num_threads(1);
  const Shape small{"reference 128^3", false, false, 128, 128, 128};
  const double fast = gemm_gflops(small, false).wall, slow = gemm_gflops(small, true).wall;
  std::printf("\ngemm_reference 128^3: %.2f GFLOP/s; gemm is %.0fx faster\n", slow, fast / slow);
  kernels::set_num_threads(saved);
}

}  // namespace
}  // namespace trit::bench

int main() { trit::bench::run(); }
#endif  // HWY_ONCE
