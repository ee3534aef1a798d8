// Timing helpers shared by the benchmarks: medians of repeats, in wall and CPU time.
//
// Figures are reported as "median [min-max]" of `repeats` timed runs, each run long
// enough (>= target seconds) to swamp timer noise. "cpu-norm" rates divide by the
// process's CPU time instead of wall time, which removes time stolen by other processes on
// a shared machine; the PyTorch peer scripts (shared/peer-bench) report the same two.
#pragma once

#include <sys/resource.h>

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

inline double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
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

inline void print_rates(const char* label, const Rates& r, const char* unit) {
  std::printf("%-44s %9.1f %s wall [%.1f-%.1f]  %9.1f cpu-norm\n", label, r.median_wall(), unit,
              *std::min_element(r.wall.begin(), r.wall.end()),
              *std::max_element(r.wall.begin(), r.wall.end()), r.median_cpu());
}

}  // namespace trit::bench
