// The single-layer PTQ study (ptq.md §8.2-§8.4, experiments E1, E2, E4): every method on the
// same synthetic layers, relative error in-sample (the m calibration rows) and out-of-sample
// (fresh rows), means over seeds, with the deterministic bound check (§4.1) for the
// pre-processing methods. Printing and the reference numbers live in bench/ptq_study.cc.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quant/ptq/synthetic.h"

namespace trit::study {

enum class Method { msq, pp_box, pp_grid, gpfq, optq };

// "MSQ", "PP-box", "PP-grid", "GPFQ", "OPTQ".
std::string method_name(Method method);

struct StudyConfig {
  quant::DataModel data = quant::DataModel::gaussian;
  int m = 64;      // calibration rows
  int n0 = 512;    // fan-in
  int n1 = 4;      // neurons
  int rank = 0;    // data rank for DataModel::low_rank
  int levels = 7;  // alphabet size L (7: K = 3), layer-wise c = max |W|
  int seeds = 3;
  int test_rows = 2000;
  uint64_t seed = 1;
  double optq_damping = 0.01;
  std::vector<Method> methods = {Method::msq, Method::pp_box, Method::pp_grid, Method::gpfq,
                                 Method::optq};
};

// Means over the seeds, one per method of the config, in its order.
struct MethodScore {
  Method method = Method::msq;
  double in = 0.0;            // ||X(W-Q)||_F / ||XW||_F on the calibration rows
  double out = 0.0;           // the same on the fresh rows (NaN when test_rows = 0)
  double seconds = 0.0;       // wall time of one quantisation of the layer
  double free_entries = 0.0;  // per neuron, pre-processing methods only
  bool bound_holds = true;    // Lemma 2 on every neuron of every seed (pre-processing only)
  double bound_ratio = 0.0;   // worst LHS / RHS of Lemma 2
};

std::vector<MethodScore> study_layer(const StudyConfig& config);

}  // namespace trit::study
