#include "study/report.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/gpfq.h"
#include "quant/ptq/optq.h"
#include "quant/ptq/preprocess.h"
#include "report/plot.h"
#include "report/table.h"
#include "study/study.h"

namespace trit::study {

using namespace quant;  // the methods under study
using report::fixed;
using report::format_table;
namespace {

constexpr double kNone = NAN;

struct Reference {
  double in = kNone, out = kNone;
};

std::string ratio(double ours, double reference) {
  return std::isnan(reference) || std::isnan(ours) ? "" : fixed(ours / reference, 2);
}

// One row per method: ours, the reference and the ratio, in and out of sample.
std::vector<std::string> compare_row(const std::string& label, const MethodScore& s, Reference r) {
  const bool pp = s.method == Method::pp_box || s.method == Method::pp_grid;
  return {label,
          method_name(s.method),
          fixed(s.in),
          fixed(r.in),
          ratio(s.in, r.in),
          fixed(s.out),
          fixed(r.out),
          ratio(s.out, r.out),
          pp ? fixed(s.free_entries, 1) : "",
          pp ? (s.bound_holds ? "ok " : "FAIL ") + fixed(s.bound_ratio, 2) : "",
          fixed(s.seconds * 1e3, 1)};
}

const std::vector<std::string> kCompareHeader = {"case", "method", "in",   "ref",   "ratio", "out",
                                                 "ref",  "ratio",  "free", "bound", "ms"};

// ptq.md §8.2, E1, K = 3, m = 64: {MSQ, PP-box, PP-grid, GPFQ, OPTQ} in / out.
const std::map<int, std::vector<Reference>> kE1 = {
    {128, {{0.166, 0.167}, {0.120, 0.849}, {0.131, 0.219}, {0.110, 0.209}, {0.089, 0.267}}},
    {256, {{0.159, 0.163}, {0.080, 1.109}, {0.089, 0.220}, {0.080, 0.219}, {0.063, 0.246}}},
    {512, {{0.157, 0.165}, {0.060, 1.252}, {0.067, 0.221}, {0.060, 0.224}, {0.045, 0.212}}},
    {1024, {{0.167, 0.167}, {0.042, 1.319}, {0.047, 0.230}, {0.042, 0.234}, {0.035, 0.197}}},
    {2048, {{0.174, 0.168}, {0.030, 1.343}, {0.033, 0.228}, {0.029, 0.233}, {0.023, 0.184}}},
};

struct E2Case {
  int rank, m, n0, free;
  // MSQ K3, PP-box K3, GPFQ K3, OPTQ K3, PP-box K1, PP-box L2.
  std::vector<Reference> reference;
};

const std::vector<E2Case> kE2 = {
    {16,
     64,
     512,
     16,
     {{0.161, 0.160},
      {0.035, 0.035},
      {0.029, 0.034},
      {0.020, 0.021},
      {0.107, 0.103},
      {0.225, 0.222}}},
    {16,
     64,
     2048,
     16,
     {{0.168, 0.172},
      {0.016, 0.016},
      {0.014, 0.016},
      {0.010, 0.011},
      {0.050, 0.051},
      {0.102, 0.105}}},
    {32,
     128,
     1024,
     32,
     {{0.152, 0.159},
      {0.027, 0.029},
      {0.027, 0.032},
      {0.020, 0.022},
      {0.087, 0.089},
      {0.202, 0.200}}},
    {64,
     128,
     2048,
     64,
     {{0.158, 0.157},
      {0.030, 0.030},
      {0.027, 0.038},
      {0.021, 0.025},
      {0.086, 0.088},
      {0.180, 0.189}}},
};

// ptq.md §8.4, E4, N0 = 1024, K = 3: m -> frac free, MSQ, PP-box, GPFQ (in-sample).
struct E4Reference {
  double frac_free, msq, pp_box, gpfq;
};
const std::map<int, E4Reference> kE4 = {
    {16, {0.016, 0.169, 0.022, 0.021}},   {32, {0.031, 0.170, 0.033, 0.032}},
    {64, {0.063, 0.175, 0.043, 0.042}},   {128, {0.125, 0.164, 0.059, 0.059}},
    {256, {0.250, 0.171, 0.086, 0.082}},  {512, {0.500, 0.165, 0.118, 0.111}},
    {1024, {1.000, 0.166, 0.166, 0.132}}, {2048, {1.000, 0.166, 0.166, 0.146}},
};

// Wall-clock and process CPU seconds (all threads) of one call; on a loaded machine the CPU
// time is the steadier measure of work.
struct Timing {
  double wall = 0.0, cpu = 0.0;
};

Timing time_call(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  f();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC};
}

}  // namespace

void study_e1(const StudyReportOptions& options, std::FILE* stream) {
  std::fprintf(stream,
               "\n== E1: Gaussian X, W ~ U[-1,1], m = 64, K = 3 (7 levels), N1 = 4, %d seeds\n",
               options.seeds);
  std::fprintf(stream,
               "   ref = ptq.md §8.2 numpy means over 3 seeds; expect agreement to ~10%%\n\n");
  std::vector<std::vector<std::string>> rows;
  std::map<Method, std::vector<double>> in, out;
  std::vector<double> n0s;
  for (const auto& [n0, reference] : kE1) {
    if (options.quick && n0 > 512) break;
    StudyConfig config;
    config.m = 64;
    config.n0 = n0;
    config.seeds = options.seeds;
    const std::vector<MethodScore> scores = study_layer(config);
    n0s.push_back(n0);
    for (size_t k = 0; k < scores.size(); ++k) {
      rows.push_back(compare_row("N0=" + std::to_string(n0), scores[k], reference[k]));
      in[scores[k].method].push_back(scores[k].in);
      out[scores[k].method].push_back(scores[k].out);
    }
    std::fflush(stream);
  }
  std::fprintf(stream, "%s", format_table(kCompareHeader, rows).c_str());

  report::Plot p(1000, 680);
  p.title("E1: relative error vs N0 (Gaussian X, m = 64, K = 3)")
      .xlabel("N0 (fan-in)")
      .ylabel("relative error ||X(W-Q)|| / ||XW||")
      .x_scale(report::AxisScale::log)
      .y_scale(report::AxisScale::log)
      .x_ticks(n0s)
      .legend(report::Corner::outside_right);
  const report::Marker markers[] = {report::Marker::square, report::Marker::circle, report::Marker::diamond,
                                  report::Marker::triangle, report::Marker::cross};
  int index = 0;
  for (const auto& [method, values] : in) {
    report::Style style;
    style.color = report::palette(index);
    style.marker = markers[index++ % 5];
    p.line(n0s, values, method_name(method) + " in-sample", style);
    style.dashed = true;
    p.line(n0s, out[method], method_name(method) + " held-out", style);
  }
  p.save_png(options.plot);
  std::fprintf(stream, "\nplot: %s\n", options.plot.c_str());
}

void study_e2(const StudyReportOptions& options, std::FILE* stream) {
  std::fprintf(stream, "\n== E2: low-rank X = G B (rank r), W ~ U[-1,1], N1 = 4, %d seeds\n\n",
               options.seeds);
  struct Column {
    Method method;
    int levels;
    const char* tag;
  };
  const Column columns[] = {{Method::msq, 7, "K3"},    {Method::pp_box, 7, "K3"},
                            {Method::gpfq, 7, "K3"},   {Method::optq, 7, "K3"},
                            {Method::pp_box, 3, "K1"}, {Method::pp_box, 2, "L2"}};
  std::vector<std::vector<std::string>> rows;
  for (const E2Case& e : kE2) {
    if (options.quick && e.n0 > 512) break;
    const std::string label = "r=" + std::to_string(e.rank) + " m=" + std::to_string(e.m) +
                              " N0=" + std::to_string(e.n0) + " ";
    for (size_t k = 0; k < 6; ++k) {
      StudyConfig config;
      config.data = DataModel::low_rank;
      config.m = e.m;
      config.n0 = e.n0;
      config.rank = e.rank;
      config.levels = columns[k].levels;
      config.seeds = options.seeds;
      config.methods = {columns[k].method};
      const MethodScore score = study_layer(config)[0];
      rows.push_back(compare_row(label + columns[k].tag, score, e.reference[k]));
    }
    rows.back().push_back("(free ref " + std::to_string(e.free) + ")");
  }
  std::fprintf(stream, "%s", format_table(kCompareHeader, rows).c_str());
}

void study_e4(const StudyReportOptions& options, std::FILE* stream) {
  std::fprintf(
      stream,
      "\n== E4: Gaussian X, N0 = 1024, K = 3, in-sample error and time vs m, N1 = 4, %d seeds, "
      "%d threads\n   (ref times: numpy, O(m^3) per step, single core; ours: O(m^2) per step)\n\n",
      options.seeds, kernels::num_threads());
  std::vector<std::vector<std::string>> rows;
  for (const auto& [m, r] : kE4) {
    if (options.quick && m > 256) break;
    StudyConfig config;
    config.m = m;
    config.n0 = 1024;
    config.seeds = options.seeds;
    config.test_rows = 0;
    config.methods = {Method::msq, Method::pp_box, Method::gpfq};
    const std::vector<MethodScore> s = study_layer(config);
    rows.push_back({std::to_string(m), fixed(s[1].free_entries / 1024.0), fixed(r.frac_free),
                    fixed(s[0].in), fixed(r.msq), fixed(s[1].in), fixed(r.pp_box),
                    ratio(s[1].in, r.pp_box), fixed(s[2].in), fixed(r.gpfq), ratio(s[2].in, r.gpfq),
                    fixed(s[1].seconds / config.n1, 4), fixed(s[2].seconds / config.n1, 4),
                    s[1].bound_holds ? "ok" : "FAIL"});
    std::fflush(stream);
  }
  std::fprintf(stream, "%s",
               format_table({"m", "free", "ref", "MSQ", "ref", "PP-box", "ref", "ratio", "GPFQ",
                             "ref", "ratio", "PP s/neuron", "GPFQ s/neuron", "bound"},
                            rows)
                   .c_str());
}

void study_fc1_timing(int neurons, std::FILE* stream) {
  const int m = 256, n0 = 800;
  std::fprintf(stream,
               "\n== Timing: LeNet-5 fc1 shape, N0 = %d -> N1 = %d, m = %d Gaussian rows, K = 3, "
               "%d threads\n\n",
               n0, neurons, m, kernels::num_threads());
  const LayerProblem p = make_layer_problem(DataModel::gaussian, m, n0, neurons, 0, 0, 42);
  const auto alphabets = layer_alphabets(p.w, 7);
  const std::vector<std::pair<std::string, std::function<void()>>> methods = {
      {"MSQ", [&] { msq(p.w, alphabets); }},
      {"GPFQ", [&] { gpfq(p.x_train, p.w, alphabets); }},
      {"OPTQ", [&] { optq(p.x_train, p.w, alphabets); }},
      {"PP-grid", [&] { preprocess_layer(p.x_train, p.w, alphabets, {TargetSet::grid}); }},
      {"PP-box", [&] { preprocess_layer(p.x_train, p.w, alphabets, {TargetSet::box}); }},
  };
  std::vector<Timing> timings;
  for (const auto& method : methods) timings.push_back(time_call(method.second));
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < methods.size(); ++k) {
    rows.push_back({methods[k].first, fixed(timings[k].wall, 3), fixed(timings[k].cpu, 3),
                    fixed(timings[k].wall / timings[1].wall, 1),
                    fixed(timings[k].cpu / timings[1].cpu, 1)});
  }
  std::fprintf(
      stream, "%s",
      format_table({"method", "wall s/layer", "CPU s/layer", "wall x GPFQ", "CPU x GPFQ"}, rows)
          .c_str());
}

void study_report(const std::string& only, const StudyReportOptions& options, std::FILE* stream) {
  check(only.empty() || only == "e1" || only == "e2" || only == "e4" || only == "fc1", "ptq-study",
        "unknown section '" + only + "'; known: e1, e2, e4, fc1");
  const auto wanted = [&](const char* name) { return only.empty() || only == name; };
  if (wanted("e1")) study_e1(options, stream);
  if (wanted("e2")) study_e2(options, stream);
  if (wanted("e4")) study_e4(options, stream);
  if (wanted("fc1")) study_fc1_timing(options.fc1_neurons, stream);
}

}  // namespace trit::study
