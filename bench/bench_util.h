// Timing helpers shared by the benchmarks: medians of repeats, in wall and CPU time.
//
// Figures are reported as "median [min-max]" of `repeats` timed runs, each run long
// enough (>= target seconds) to swamp timer noise. "cpu-norm" rates divide by the
// process's CPU time instead of wall time, which removes time stolen by other processes on
// a shared machine; the PyTorch peer scripts (shared/peer-bench) report the same two.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace trit::bench {

// "1,2" -> {"1", "2"} (comma-separated command-line lists).
inline std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

// CPU seconds of the whole process (all its threads), to the nanosecond.
inline double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec + 1e-9 * now.tv_nsec;
}

struct Rates {
  std::vector<double> wall, cpu;  // items per second, one per repeat
  double median_wall() const { return median(wall); }
  double median_cpu() const { return median(cpu); }
  static double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
};

// Runs `step` (which processes `items` items) repeatedly: a warm-up, then `repeats` runs
// of at least `target_seconds` each. cpu rates are normalised per thread used.
inline Rates measure(const std::function<void()>& step, double items, int threads,
                     int repeats = 5, double target_seconds = 0.5) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 2; ++i) step();
  Rates rates;
  for (int r = 0; r < repeats; ++r) {
    int64_t runs = 0;
    const double cpu0 = cpu_seconds();
    const auto t0 = clock::now();
    double wall = 0.0;
    do {
      step();
      ++runs;
      wall = std::chrono::duration<double>(clock::now() - t0).count();
    } while (wall < target_seconds);
    const double cpu = cpu_seconds() - cpu0;
    rates.wall.push_back(runs * items / wall);
    rates.cpu.push_back(runs * items * threads / std::max(cpu, 1e-9));
  }
  return rates;
}

// The cost ratio of two steps, measured in pairs: each round alternates a, b, a, b, ... (or
// `block` a's, then `block` b's, ...) for at least `target_seconds` in all and records
// (CPU seconds per b step) / (CPU seconds per a step).
// Step-by-step alternation keeps both sides of every ratio under the same machine load, so
// a shared machine's changing load shows up in the spread, not in the median. a and b each
// process `items` items; their rates per round are returned too.
struct PairedRatio {
  std::vector<double> ratio;  // one per round
  Rates a, b;                 // each step's rates, round by round
  double median() const { return Rates::median(ratio); }
  double quantile(double q) const {  // q in [0, 1], nearest rank
    std::vector<double> v = ratio;
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[static_cast<size_t>(q * (v.size() - 1) + 0.5)];
  }
};

inline PairedRatio measure_ratio(const std::function<void()>& a, const std::function<void()>& b,
                                 double items, int threads, int rounds = 15,
                                 double target_seconds = 0.6, int block = 1) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 2; ++i) a(), b();
  // runs `step` once, adding its wall and CPU seconds
  const auto timed = [](const std::function<void()>& step, double& wall, double& cpu) {
    const double cpu0 = cpu_seconds();
    const auto t0 = clock::now();
    step();
    wall += std::chrono::duration<double>(clock::now() - t0).count();
    cpu += cpu_seconds() - cpu0;
  };
  PairedRatio result;
  for (int r = 0; r < rounds; ++r) {
    double wall[2] = {0, 0}, cpu[2] = {0, 0};  // [0]: a's steps, [1]: b's
    int64_t steps = 0;                          // of each kind
    while (wall[0] + wall[1] < target_seconds) {
      for (int k = 0; k < block; ++k) timed(a, wall[0], cpu[0]);
      for (int k = 0; k < block; ++k) timed(b, wall[1], cpu[1]);
      steps += block;
    }
    Rates* rates[2] = {&result.a, &result.b};
    for (int side = 0; side < 2; ++side) {
      rates[side]->wall.push_back(steps * items / wall[side]);
      rates[side]->cpu.push_back(steps * items * threads / std::max(cpu[side], 1e-9));
    }
    result.ratio.push_back(cpu[1] / std::max(cpu[0], 1e-9));
  }
  return result;
}

inline void print_rates(const char* label, const Rates& r, const char* unit) {
  std::printf("%-44s %9.1f %s wall [%.1f-%.1f]  %9.1f cpu-norm\n", label, r.median_wall(), unit,
              *std::min_element(r.wall.begin(), r.wall.end()),
              *std::max_element(r.wall.begin(), r.wall.end()), r.median_cpu());
}

}  // namespace trit::bench
