#include "study/study.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "quant/ptq/alphabet.h"
#include "quant/ptq/gpfq.h"
#include "quant/ptq/metrics.h"
#include "quant/ptq/optq.h"
#include "quant/ptq/preprocess.h"

namespace trit::study {

using namespace quant;  // the methods under study
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One method on one problem: Q, and for the pre-processing methods Z and the mean free count.
struct Run {
  Eigen::MatrixXd q;
  double free_entries = 0.0;
  bool preprocessed = false;
  Eigen::MatrixXd z;
};

Run quantise(Method method, const LayerProblem& p, const std::vector<Alphabet>& alphabets,
             double damping) {
  Run run;
  switch (method) {
    case Method::msq:
      run.q = msq(p.w, alphabets);
      break;
    case Method::pp_box:
    case Method::pp_grid: {
      const TargetSet targets = method == Method::pp_box ? TargetSet::box : TargetSet::grid;
      PreprocessResult r = preprocess_layer(p.x_train, p.w, alphabets, {targets});
      run.q = msq(r.z, alphabets);
      run.z = std::move(r.z);
      run.preprocessed = true;
      for (const int f : r.free_entries) run.free_entries += f;
      run.free_entries /= std::max<size_t>(1, r.free_entries.size());
      break;
    }
    case Method::gpfq:
      run.q = gpfq(p.x_train, p.w, alphabets);
      break;
    case Method::optq:
      run.q = optq(p.x_train, p.w, alphabets, {damping});
      break;
  }
  return run;
}

}  // namespace

std::string method_name(Method method) {
  switch (method) {
    case Method::msq:
      return "MSQ";
    case Method::pp_box:
      return "PP-box";
    case Method::pp_grid:
      return "PP-grid";
    case Method::gpfq:
      return "GPFQ";
    case Method::optq:
      return "OPTQ";
  }
  return "?";
}

std::vector<MethodScore> study_layer(const StudyConfig& config) {
  std::vector<MethodScore> scores(config.methods.size());
  for (size_t k = 0; k < scores.size(); ++k) scores[k].method = config.methods[k];
  const Rng seeds(config.seed);
  for (int s = 0; s < config.seeds; ++s) {
    const LayerProblem p =
        make_layer_problem(config.data, config.m, config.n0, config.n1, config.rank,
                           config.test_rows, seeds.split(s).next_u64());
    const auto alphabets = layer_alphabets(p.w, config.levels);
    for (MethodScore& score : scores) {
      const auto start = std::chrono::steady_clock::now();
      const Run run = quantise(score.method, p, alphabets, config.optq_damping);
      score.seconds += seconds_since(start) / config.seeds;
      score.in += relative_error(p.x_train, p.w, run.q) / config.seeds;
      score.out += config.test_rows ? relative_error(p.x_test, p.w, run.q) / config.seeds
                                    : std::numeric_limits<double>::quiet_NaN();
      if (!run.preprocessed) continue;
      score.free_entries += run.free_entries / config.seeds;
      const BoundCheck bound = check_deterministic_bound(p.x_train, p.w, run.z, run.q, alphabets);
      score.bound_holds = score.bound_holds && bound.holds;
      score.bound_ratio = std::max(score.bound_ratio, bound.worst_ratio);
    }
  }
  return scores;
}

}  // namespace trit::study
