// Post-training quantisation of one layer in code (spec ../shared/spec/ptq.md): a synthetic
// layer W (N0 x N1) with calibration data X, quantised to a 3-bit alphabet by three methods,
// and each method's relative error ||X (W - Q)|| / ||X W|| on the calibration rows and on
// fresh rows from the same distribution:
//   MSQ        each weight to its nearest level (§2), the baseline;
//   Maly-Saab  pre-processing: step each neuron to a vertex that keeps X w (§3), then MSQ;
//   GPFQ       greedy path-following: each weight's rounding corrects the earlier errors.
//
//   build/release/examples/ptq_one_layer [M [N0]]   (defaults: 64 calibration rows, N0 = 512)
//
// With fewer calibration rows than inputs (M < N0, the default) the data-aware methods fit the
// calibration rows far better than MSQ and do worse on fresh rows: they fit the sample. The
// study of ptq.md §8 (`trit ptq-study`, docs/results-ptq.md) measures this over sizes and
// seeds. Exits 1 unless both data-aware methods beat MSQ on the calibration rows.
#include <cstdio>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "autograd/error.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/gpfq.h"
#include "quant/ptq/metrics.h"
#include "quant/ptq/preprocess.h"
#include "quant/ptq/synthetic.h"

using namespace trit;

int main(int argc, char** argv) try {
  const int m = argc > 1 ? std::stoi(argv[1]) : 64;
  const int n0 = argc > 2 ? std::stoi(argv[2]) : 512;
  // X: m rows of N(0, 1) data; W: n0 x 4 weights from U[-1, 1]; 2000 fresh rows for testing.
  const quant::LayerProblem layer =
      quant::make_layer_problem(quant::DataModel::gaussian, m, n0, 4, 0, 2000, 1);
  // 7 levels {-c, ..., c} with the layer-wise c = max |W|: 3 bits a weight.
  const std::vector<quant::Alphabet> alphabets = quant::layer_alphabets(layer.w, 7);

  const Eigen::MatrixXd msq = quant::msq(layer.w, alphabets);
  const Eigen::MatrixXd maly_saab =
      quant::preprocess_and_quantise(layer.x_train, layer.w, alphabets);
  const Eigen::MatrixXd gpfq = quant::gpfq(layer.x_train, layer.w, alphabets);

  std::printf("one layer, %d calibration rows, N0 = %d, 4 neurons, 7 levels\n", m, n0);
  std::printf("%-10s %12s %12s\n", "method", "calibration", "fresh rows");
  double msq_error = 0.0;
  bool data_aware_wins = true;
  for (const auto& [name, q] : std::vector<std::pair<std::string, Eigen::MatrixXd>>{
           {"MSQ", msq}, {"Maly-Saab", maly_saab}, {"GPFQ", gpfq}}) {
    const double in = quant::relative_error(layer.x_train, layer.w, q);
    const double out = quant::relative_error(layer.x_test, layer.w, q);
    std::printf("%-10s %12.4f %12.4f\n", name.c_str(), in, out);
    if (name == "MSQ") msq_error = in;
    else data_aware_wins = data_aware_wins && in < msq_error;
  }
  return data_aware_wins ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "ptq_one_layer: %s\n", e.what());
  return 1;
}
