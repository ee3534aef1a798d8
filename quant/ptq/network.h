// Post-training quantisation of a whole trained network, layer by layer (ptq.md §5).
//
// quantise_network(model, calibration, held_out, options):
// 1. Folds BatchNorm into the preceding convolutions (fold_batch_norm.h).
// 2. Records every quantisable layer's input in the float network ("analog" data X) on the
//    calibration and held-out images (network_layers.h).
// 3. Quantises the Linear/Conv2d layers in model (= forward) order, except `keep_float`.
//    Layer l sees rows of its inputs (layer_rows.h): m = calibration images rows (a Linear:
//    one per image; a Conv2d: m im2col patches drawn at random from all the images' patches),
//    from the float network (X) and from the network whose earlier layers are already
//    quantised (Xq, re-recorded when an earlier layer changed). Maly-Saab uses
//    min(m, N0 / 2) of them when N0 >= 64 (ptq.md §5.3, §5.5: it needs m < N0, and the
//    rows left out of the kernel buy its guarantee); with N0 < 64 (LeNet-5 conv1, N0 = 25)
//    it takes all m rows, the data has full rank and the result is plain MSQ (§3.5).
//    Which data a method uses (`inputs`, ptq.md §5.2):
//      analog     the float network's X          (MSQ ignores data; GPFQ gpfq(X, X, W))
//      quantized  the quantised network's Xq     (GPFQ gpfq(Xq, Xq, W))
//      corrected  Xq, targeting the float outputs X W: GPFQ natively, gpfq(X, Xq, W) (§7.2);
//                 Maly-Saab and OPTQ quantise W' = W + Xq^+ (X - Xq) W (§5.2 c) on Xq,
//                 ridge-damped by default (absorb_upstream_error).
//    Alphabets: L levels on [-c, c] with c = max |W| of the layer (or per neuron), ptq.md §2,
//    from the weights being quantised (W' when corrected).
// 4. Writes the quantised values into the layers (float storage of alphabet values); biases
//    stay float.
// Everything random (row sampling) derives from options.seed and the layer's index; results
// do not depend on the thread count.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "datasets/image_dataset.h"
#include "datasets/normalization.h"
#include "nn/module.h"
#include "quant/ptq/alphabet.h"
#include "quant/ptq/preprocess.h"

namespace trit::quant {

enum class PtqMethod { msq, maly_saab, gpfq, optq };
enum class LayerInputs { analog, quantized, corrected };

// CLI names: "msq", "maly-saab", "gpfq", "optq"; "analog", "quantized", "corrected".
std::string ptq_method_name(PtqMethod method);
PtqMethod ptq_method_from_name(const std::string& name);  // throws trit::Error if unknown
std::string layer_inputs_name(LayerInputs inputs);
LayerInputs layer_inputs_from_name(const std::string& name);  // throws trit::Error if unknown

struct NetworkPtqOptions {
  PtqMethod method = PtqMethod::maly_saab;
  int levels = 3;                       // L >= 2
  TargetSet variant = TargetSet::grid;  // Maly-Saab only
  LayerInputs inputs = LayerInputs::corrected;
  ScaleMode scale = ScaleMode::per_layer_max;
  std::vector<std::string> keep_float;  // dotted layer names left in float (e.g. "fc2")
  double optq_damping = 0.01;
  // Ridge of the corrected inputs' W' (absorb_upstream_error). 1 was best on held-out training
  // images for LeNet-5 at L = 3 (network error at the output over 0.01 .. 3); 0 = the spec's
  // exact min-norm correction, which blew c up on LeNet-5's fc2 (0.18 -> 1.7 at m = 1024).
  double correction_damping = 1.0;
  uint64_t seed = 0;
};

// Per layer; errors are ||A - B||_F / ||A||_F over the layer's rows, without the bias.
struct LayerPtqReport {
  std::string name;        // "conv1"
  std::string type;        // "Conv2d" | "Linear"
  int64_t n0 = 0, n1 = 0;  // fan-in, neurons
  bool quantised = false;  // false: kept in float (keep_float)
  int64_t rows = 0;        // calibration rows the method used
  int64_t held_out_rows = 0;
  double scale = 0.0;        // c (the largest over neurons with per-neuron scales)
  double free_entries = -1;  // Maly-Saab: mean entries per neuron off the target set; else -1
  double seconds = 0.0;      // quantising this layer (data capture excluded)
  // The layer alone on the float network's inputs: ||X W - X Q|| / ||X W||.
  double layer_error_calibration = 0.0, layer_error_held_out = 0.0;
  // The quantised network at this layer against the float one: ||X W - Xq Q|| / ||X W||.
  double network_error_calibration = 0.0, network_error_held_out = 0.0;
};

struct NetworkPtqReport {
  std::vector<LayerPtqReport> layers;
  int folded_batch_norms = 0;
  double seconds = 0.0;  // the whole call
};

// `calibration` and `held_out` are normalised images [N, C, H, W] (N >= 1 each).
// Throws trit::Error for levels < 2, a keep_float name that is no quantisable layer, or a
// model the quantiser cannot handle (grouped convolutions).
NetworkPtqReport quantise_network(nn::Module& model, const Tensor& calibration,
                                  const Tensor& held_out, const NetworkPtqOptions& options);

// ptq.md §5.2 (c), the upstream error absorbed into the weights: W' = W + D with D the
// smallest correction making Xq W' = X W. damping = 0: the spec's min-norm least-squares
// D = Xq^+ (X - Xq) W (complete orthogonal decomposition), exact when Xq has full row rank
// (m <= N0). damping > 0: ridge, D = argmin ||Xq D - (X - Xq) W||^2 + lambda ||D||^2 with
// lambda = damping * mean(diag Xq^T Xq) (OPTQ's dampening), which keeps W' near W along
// directions the data barely excites (near-dead ReLU inputs, where the exact solution blows up
// the scale c = max |W'|).
Eigen::MatrixXd absorb_upstream_error(const Eigen::MatrixXd& x, const Eigen::MatrixXd& x_quantised,
                                      const Eigen::MatrixXd& w, double damping = 0.0);

// Calibration and held-out images drawn from a training set with a seed: the first
// `calibration` and the next `held_out` samples of a seeded permutation (disjoint sets),
// normalised like the loader's batches. Throws trit::Error if the set has fewer than
// calibration + held_out images or either count is < 1.
struct CalibrationImages {
  Tensor calibration, held_out;
};
CalibrationImages draw_calibration(const datasets::ImageDataset& train,
                                   const datasets::Normalization& normalization,
                                   int64_t calibration, int64_t held_out, uint64_t seed);

}  // namespace trit::quant
