#include "quant/ptq/network.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "autograd/error.h"
#include "autograd/ops/layout.h"
#include "autograd/random.h"
#include "datasets/loader.h"
#include "quant/ptq/fold_batch_norm.h"
#include "quant/ptq/gpfq.h"
#include "quant/ptq/layer_rows.h"
#include "quant/ptq/network_layers.h"
#include "quant/ptq/optq.h"

namespace trit::quant {
namespace {

// Maly-Saab pre-processes layers with at least this fan-in on min(m, N0 / 2) rows.
constexpr int64_t kMalySaabMinFanIn = 64;

const std::vector<std::pair<PtqMethod, std::string>> kMethodNames = {
    {PtqMethod::msq, "msq"},
    {PtqMethod::maly_saab, "maly-saab"},
    {PtqMethod::gpfq, "gpfq"},
    {PtqMethod::optq, "optq"}};
const std::vector<std::pair<LayerInputs, std::string>> kInputNames = {
    {LayerInputs::analog, "analog"},
    {LayerInputs::quantized, "quantized"},
    {LayerInputs::corrected, "corrected"}};

template <class E>
std::string name_of(const std::vector<std::pair<E, std::string>>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

template <class E>
E value_of(const std::vector<std::pair<E, std::string>>& names, const std::string& name,
           const std::string& what) {
  std::vector<std::string> known;
  for (const auto& [v, n] : names) {
    if (n == name) return v;
    known.push_back(n);
  }
  throw_unknown("ptq", what, name, known);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ||reference - other||_F / ||reference||_F.
double relative_difference(const Eigen::MatrixXd& reference, const Eigen::MatrixXd& other) {
  const double norm = reference.norm(), error = (reference - other).norm();
  return norm > 0.0 ? error / norm : (error > 0.0 ? INFINITY : 0.0);
}

// One layer's rows, the same samples in the float network (x) and the quantised one (xq).
struct LayerData {
  Eigen::MatrixXd x, xq;
};

LayerData sample_layer(const QuantLayer& layer, const Tensor& analog, const Tensor& quantised,
                       int64_t wanted, uint64_t seed) {
  const std::vector<int64_t> rows = sample_rows(available_rows(layer, analog), wanted, seed);
  LayerData data;
  data.x = layer_rows(layer, analog, rows);
  data.xq = quantised.is_same(analog) ? data.x : layer_rows(layer, quantised, rows);
  return data;
}

int64_t calibration_rows(const NetworkPtqOptions& options, const QuantLayer& layer, int64_t m) {
  const bool capped = options.method == PtqMethod::maly_saab && layer.n0 >= kMalySaabMinFanIn;
  return capped ? std::min(m, layer.n0 / 2) : m;
}

struct QuantisedLayer {
  Eigen::MatrixXd q;
  std::vector<Alphabet> alphabets;
  double free_entries = -1.0;
};

// The method on one layer (ptq_network.h, step 3). `upstream` says whether an earlier layer is
// quantised (else xq = x and the correction is the identity).
QuantisedLayer quantise_layer(const NetworkPtqOptions& options, const LayerData& d,
                              const Eigen::MatrixXd& w, bool upstream) {
  QuantisedLayer out;
  const Eigen::MatrixXd& data = options.inputs == LayerInputs::analog ? d.x : d.xq;
  if (options.method == PtqMethod::msq || options.method == PtqMethod::gpfq) {
    out.alphabets = layer_alphabets(w, options.levels, options.scale);
    const Eigen::MatrixXd& target = options.inputs == LayerInputs::quantized ? d.xq : d.x;
    out.q = options.method == PtqMethod::msq ? msq(w, out.alphabets)
                                             : gpfq(target, data, w, out.alphabets);
    return out;
  }
  const bool correct = options.inputs == LayerInputs::corrected && upstream;
  const Eigen::MatrixXd target_w =
      correct ? absorb_upstream_error(d.x, d.xq, w, options.correction_damping) : w;
  out.alphabets = layer_alphabets(target_w, options.levels, options.scale);
  if (options.method == PtqMethod::optq) {
    out.q = optq(data, target_w, out.alphabets, {options.optq_damping});
    return out;
  }
  const PreprocessResult r = preprocess_layer(data, target_w, out.alphabets, {options.variant});
  out.q = msq(r.z, out.alphabets);
  out.free_entries = 0.0;
  for (const int f : r.free_entries) out.free_entries += f;
  out.free_entries /= std::max<size_t>(1, r.free_entries.size());
  return out;
}

}  // namespace

std::string ptq_method_name(PtqMethod method) { return name_of(kMethodNames, method); }
PtqMethod ptq_method_from_name(const std::string& name) {
  return value_of(kMethodNames, name, "method");
}
std::string layer_inputs_name(LayerInputs inputs) { return name_of(kInputNames, inputs); }
LayerInputs layer_inputs_from_name(const std::string& name) {
  return value_of(kInputNames, name, "inputs");
}

Eigen::MatrixXd absorb_upstream_error(const Eigen::MatrixXd& x, const Eigen::MatrixXd& x_quantised,
                                      const Eigen::MatrixXd& w, double damping) {
  check(x.rows() == x_quantised.rows() && x.cols() == x_quantised.cols() && x.cols() == w.rows(),
        "absorb_upstream_error",
        "X [" + std::to_string(x.rows()) + "," + std::to_string(x.cols()) + "], Xq [" +
            std::to_string(x_quantised.rows()) + "," + std::to_string(x_quantised.cols()) +
            "], W [" + std::to_string(w.rows()) + "," + std::to_string(w.cols()) +
            "]: shapes do not fit");
  const Eigen::MatrixXd upstream_error = (x - x_quantised) * w;
  if (damping <= 0.0) {
    const Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> solver(x_quantised);
    return w + solver.solve(upstream_error);
  }
  const double lambda = damping * x_quantised.squaredNorm() / std::max<Eigen::Index>(1, x.cols());
  if (lambda == 0.0) return w;  // Xq = 0: no direction to correct along
  // Ridge: W' - W = (Xq^T Xq + lambda I)^-1 Xq^T E = Xq^T (Xq Xq^T + lambda I)^-1 E; solve
  // the smaller of the two systems.
  if (x_quantised.rows() <= x_quantised.cols()) {
    Eigen::MatrixXd gram = x_quantised * x_quantised.transpose();
    gram.diagonal().array() += lambda;
    return w + x_quantised.transpose() * gram.llt().solve(upstream_error);
  }
  Eigen::MatrixXd gram = x_quantised.transpose() * x_quantised;
  gram.diagonal().array() += lambda;
  return w + gram.llt().solve(x_quantised.transpose() * upstream_error);
}

NetworkPtqReport quantise_network(nn::Module& model, const Tensor& calibration,
                                  const Tensor& held_out, const NetworkPtqOptions& options) {
  check(options.levels >= 2, "ptq", "levels = " + std::to_string(options.levels) + " < 2");
  const auto start = std::chrono::steady_clock::now();
  NetworkPtqReport report;
  report.folded_batch_norms = fold_batch_norms(model);
  const std::vector<QuantLayer> layers = quantisable_layers(model);
  for (const std::string& name : options.keep_float) {
    const bool known = std::any_of(layers.begin(), layers.end(),
                                   [&](const QuantLayer& l) { return l.path == name; });
    check(known, "ptq", "--keep-float " + name + ": no Linear or Conv2d layer of that name");
  }
  const std::vector<Tensor> analog = capture_inputs(model, layers, calibration);
  const std::vector<Tensor> analog_held_out = capture_inputs(model, layers, held_out);
  const Rng seeds(options.seed);
  bool upstream = false;  // an earlier layer is quantised: the network's inputs differ
  for (size_t l = 0; l < layers.size(); ++l) {
    const QuantLayer& layer = layers[l];
    const bool keep = std::find(options.keep_float.begin(), options.keep_float.end(), layer.path) !=
                      options.keep_float.end();
    Tensor quantised = analog[l], quantised_held_out = analog_held_out[l];
    if (upstream) {
      quantised = capture_inputs(model, {layer}, calibration).front();
      quantised_held_out = capture_inputs(model, {layer}, held_out).front();
    }
    const int64_t wanted =
        keep ? calibration.size(0) : calibration_rows(options, layer, calibration.size(0));
    const LayerData cal =
        sample_layer(layer, analog[l], quantised, wanted, seeds.split(2 * l).next_u64());
    const LayerData held = sample_layer(layer, analog_held_out[l], quantised_held_out,
                                        held_out.size(0), seeds.split(2 * l + 1).next_u64());
    const Eigen::MatrixXd w = weight_matrix(layer);

    LayerPtqReport r;
    r.name = layer.path;
    r.type = layer.conv ? "Conv2d" : "Linear";
    r.n0 = layer.n0;
    r.n1 = layer.n1;
    r.quantised = !keep;
    r.rows = cal.x.rows();
    r.held_out_rows = held.x.rows();
    if (!keep) {
      const auto layer_start = std::chrono::steady_clock::now();
      const QuantisedLayer q = quantise_layer(options, cal, w, upstream);
      set_weight_matrix(layer, q.q);
      r.seconds = seconds_since(layer_start);
      for (const Alphabet& a : q.alphabets) r.scale = std::max(r.scale, a.scale);
      r.free_entries = q.free_entries;
      upstream = true;
    }
    const Eigen::MatrixXd stored = weight_matrix(layer);  // what the network now computes with
    r.layer_error_calibration = relative_difference(cal.x * w, cal.x * stored);
    r.layer_error_held_out = relative_difference(held.x * w, held.x * stored);
    r.network_error_calibration = relative_difference(cal.x * w, cal.xq * stored);
    r.network_error_held_out = relative_difference(held.x * w, held.xq * stored);
    report.layers.push_back(r);
  }
  report.seconds = seconds_since(start);
  return report;
}

CalibrationImages draw_calibration(const datasets::ImageDataset& train,
                                   const datasets::Normalization& normalization,
                                   int64_t calibration, int64_t held_out, uint64_t seed) {
  check(calibration >= 1 && held_out >= 1, "ptq",
        "needs at least one calibration and one held-out image (got " +
            std::to_string(calibration) + " and " + std::to_string(held_out) + ")");
  check(calibration + held_out <= train.size(), "ptq",
        std::to_string(calibration) + " calibration + " + std::to_string(held_out) +
            " held-out images exceed the training set's " + std::to_string(train.size()));
  // One shuffled batch of epoch 0.
  datasets::DataLoader loader(
      train, datasets::LoaderOptions::shuffled(calibration + held_out, seed, normalization));
  loader.start_epoch(0);
  datasets::Batch batch;
  loader.next(batch);
  return {slice(batch.images, 0, 0, calibration),
          slice(batch.images, 0, calibration, calibration + held_out)};
}

}  // namespace trit::quant
