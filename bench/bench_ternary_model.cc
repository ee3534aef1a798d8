// bench_ternary_model: a whole model's float inference against its packed ternary twin with
// the same weights (level x code), side by side, and where the time goes.
//
//   build/release/bench/bench_ternary_model [--model lenet5|densenet-bc40] [--batches 1,64]
//                                           [--threads 1,2] [--repeats 7] [--layers]
//                                           [--target AVX2] [--activations 8]
//                                           [--weights TERNARY.safetensors]
//
// The twin: a packed ternary checkpoint of the model (--weights, trit quantize: a trained
// model's share of non-zero codes), or else the model made variational with log sigma^2
// spread over [-10, 0] (so that pruning and quantisation, spec vnq.md §5, give a mix of 0
// and +-a), then make_ternary. The float model: the same model (its other tensors copied from
// the twin) with each Linear/Conv2d weight set to the twin's ternary_to_float, so both compute the same function up to float reassociation (the largest
// logit difference is printed). Both in eval mode, no tape. A timing is the best of `repeats`
// forward passes, the two models alternating (on a shared machine other work only adds time).
// The split: per module type, the time from the previous module's end to this leaf module's
// end (nn::set_forward_observer), summed over one forward pass of each model. The float
// DenseNet runs its dense layers fused (BN-ReLU-conv, autograd/fused/) without calling the
// leaf modules, so their time lands on the next leaf called (BatchNorm2d, AvgPool2d); the
// ternary twin's TernaryConv2d layers are leaves and counted as such.
// --layers adds a table per batch and thread count: each quantised layer alone, on a random
// input of the shape it sees in the model, as the float op (conv2d / linear, the weights
// level x code, unfused) and as the ternary layer (its packed path, sparse or dense by its
// share of non-zero codes), best of `repeats` alternating calls.
// --activations 8 adds the ternary twin with 8-bit activations in its convolutions
// (quant/ternary/activations.h), calibrated on the bench's own input: its time, its speed-up
// over float and its largest logit difference from the exact ternary path.
// --target runs both models on one of the SIMD targets this CPU supports (e.g. AVX2 on an
// AVX-512 machine) instead of the one dispatch would pick.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/matmul.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "quant/ternary/activations.h"
#include "quant/ternary/checkpoint.h"
#include "nn/models/registry.h"
#include "quant/ternary/layers.h"
#include "quant/ternary/pack.h"
#include "quant/vnq/model.h"
#include "quant/vnq/to_ternary.h"
#include "tests/vnq_fixtures.h"

using namespace trit;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<int64_t> parse_list(const std::string& text) {
  std::vector<int64_t> values;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) values.push_back(std::stoll(item));
  return values;
}

struct Twins {
  std::shared_ptr<nn::Module> floating, ternary;
  double nonzero = 0.0;  // share of non-zero codes
};

// The twins of model `name`: from a packed ternary checkpoint (`weights`, trit quantize) when
// given, else from the seeded model with log sigma^2 spread over [-10, 0].
Twins make_twins(const std::string& name, const std::string& weights) {
  Twins twins;
  Rng rng(1), float_rng(1);
  twins.ternary = nn::make_model(name, rng);
  twins.floating = nn::make_model(name, float_rng);  // the same seeded weights
  if (weights.empty()) {
    testing::spread_log_sigma2(quant::make_variational(*twins.ternary, {}, 1), rng);
    quant::make_ternary(*twins.ternary);
  } else {
    quant::load_ternary_checkpoint(weights, *twins.ternary);
    twins.floating->load_state_dict(twins.ternary->state_dict(), false);  // biases, BN
  }
  std::map<std::string, std::shared_ptr<nn::Module>> float_layers;
  for (const auto& [path, module] : twins.floating->named_modules()) float_layers[path] = module;
  int64_t codes = 0, nonzero = 0;
  NoGradGuard no_grad;
  for (const auto& [path, layer] : quant::find_ternary(*twins.ternary)) {
    const Tensor weights = quant::ternary_to_float(layer->weights());
    Tensor target;
    if (auto l = std::dynamic_pointer_cast<nn::Linear>(float_layers.at(path))) target = l->weight();
    if (auto c = std::dynamic_pointer_cast<nn::Conv2d>(float_layers.at(path))) target = c->weight();
    std::copy(weights.data(), weights.data() + weights.numel(), target.data());
    codes += weights.numel();
    nonzero += layer->nonzero();
  }
  twins.nonzero = double(nonzero) / double(std::max<int64_t>(codes, 1));
  twins.floating->eval();
  twins.ternary->eval();
  return twins;
}

double max_difference(const Tensor& a, const Tensor& b) {
  double worst = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i)
    worst = std::max(worst, double(std::abs(a.data()[i] - b.data()[i])));
  return worst;
}

// Seconds per module type over one forward pass (leaf modules only).
std::map<std::string, double> split(nn::Module& model, const Tensor& x) {
  std::map<std::string, double> seconds;
  Clock::time_point last = Clock::now();
  nn::set_forward_observer([&](const nn::Module& module, const Tensor&) {
    if (!module.children().empty()) return;
    seconds[module.type()] += seconds_since(last);
    last = Clock::now();
  });
  model(x);
  nn::set_forward_observer({});
  return seconds;
}

// Each ternary layer alone against its float op, at the input shapes of a forward pass of
// `model` on x (the current thread count).
void layer_table(nn::Module& model, const Tensor& x, int repeats) {
  std::map<const nn::Module*, Shape> outputs;
  nn::set_forward_observer(
      [&](const nn::Module& module, const Tensor& out) { outputs[&module] = out.shape(); });
  model(x);
  nn::set_forward_observer({});
  std::printf("%-42s %8s %10s %10s %9s\n", "layer", "non-zero", "float ms", "ternary ms",
              "speed-up");
  double worst = 1e30;
  for (const auto& [path, layer] : quant::find_ternary(model)) {
    const Shape out = outputs.at(layer.get());
    const quant::PackedTernary& packed = layer->weights();
    Tensor weight = quant::ternary_to_float(packed);
    Shape in = {out[0], packed.cols};
    std::function<void(const Tensor&)> float_op = [&](const Tensor& input) {
      linear(input, weight, layer->bias());
    };
    if (auto conv = std::dynamic_pointer_cast<quant::TernaryConv2d>(layer)) {
      const Conv2dOptions& o = conv->options();
      const int64_t k = conv->kernel();
      in = {out[0], conv->in_channels(), (out[2] - 1) * o.stride + k - 2 * o.padding,
            (out[3] - 1) * o.stride + k - 2 * o.padding};
      weight = reshape(weight, {packed.rows, conv->in_channels(), k, k});
      float_op = [&, o](const Tensor& input) { conv2d(input, weight, layer->bias(), o); };
    }
    Rng rng(7);
    const Tensor input = Tensor::normal(in, 0.0f, 1.0f, rng);
    double float_best = 1e30, ternary_best = 1e30;
    for (int r = 0; r < repeats; ++r) {
      Clock::time_point start = Clock::now();
      float_op(input);
      float_best = std::min(float_best, seconds_since(start));
      start = Clock::now();
      (*layer)(input);
      ternary_best = std::min(ternary_best, seconds_since(start));
    }
    worst = std::min(worst, float_best / ternary_best);
    std::printf("%-42s %7.1f%% %10.4f %10.4f %8.2fx\n", path.c_str(),
                100.0 * layer->sparse().density(), 1e3 * float_best, 1e3 * ternary_best,
                float_best / ternary_best);
  }
  std::printf("slowest layer: %.2fx\n", worst);
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "lenet5", batches = "1,64", thread_counts = "1,2";
  int repeats = 7;
  bool layers = false;
  std::string target;
  int activation_bits = 0;
  std::string weights;
  for (int i = 1; i < argc; ++i) {
    const bool value = i + 1 < argc;  // the flags below take one
    if (!std::strcmp(argv[i], "--layers")) layers = true;
    else if (value && !std::strcmp(argv[i], "--model")) name = argv[++i];
    else if (value && !std::strcmp(argv[i], "--batches")) batches = argv[++i];
    else if (value && !std::strcmp(argv[i], "--threads")) thread_counts = argv[++i];
    else if (value && !std::strcmp(argv[i], "--target")) target = argv[++i];
    else if (value && !std::strcmp(argv[i], "--weights")) weights = argv[++i];
    else if (value && !std::strcmp(argv[i], "--activations") && !std::strcmp(argv[i + 1], "8"))
      activation_bits = std::atoi(argv[++i]);
    else if (value && !std::strcmp(argv[i], "--repeats"))
      repeats = std::max(1, std::atoi(argv[++i]));
    else return std::fprintf(stderr, "bench_ternary_model: unknown argument %s\n", argv[i]), 2;
  }
  if (!target.empty()) {
    std::string names;
    int64_t chosen = 0;
    for (const int64_t t : kernels::supported_targets()) {
      names += " " + kernels::target_name(t);
      if (kernels::target_name(t) == target) chosen = t;
    }
    if (chosen == 0)
      return std::fprintf(stderr, "bench_ternary_model: --target %s is not one of this CPU's:%s\n",
                          target.c_str(), names.c_str()), 2;
    kernels::force_target(chosen);
  }
  const Twins twins = make_twins(name, weights);
  const std::vector<int64_t> shape = nn::model_spec(name).input_shape;
  std::printf("%s, float vs packed ternary (%.1f%% of codes non-zero), SIMD %s, best of %d\n",
              name.c_str(), 100 * twins.nonzero, kernels::dispatch_target().c_str(), repeats);
  std::printf("%5s %7s %12s %12s %9s %14s", "batch", "threads", "float ms", "ternary ms",
              "speed-up", "max |diff|");
  if (activation_bits) std::printf(" %12s %9s %14s", "8-bit ms", "speed-up", "max |diff|");
  std::printf("\n");
  NoGradGuard no_grad;
  const int saved = kernels::num_threads();
  std::vector<std::pair<std::string, std::map<std::string, double>>> splits;
  for (const int64_t batch : parse_list(batches)) {
    Rng rng(static_cast<uint64_t>(batch));
    std::vector<int64_t> input_shape = {batch};
    input_shape.insert(input_shape.end(), shape.begin(), shape.end());
    const Tensor x = Tensor::normal(input_shape, 0.0f, 1.0f, rng);
    for (const int64_t threads : parse_list(thread_counts)) {
      kernels::set_num_threads(int(threads));
      const double difference = max_difference((*twins.floating)(x), (*twins.ternary)(x));
      double float_best = 1e30, ternary_best = 1e30;
      for (int r = 0; r < repeats; ++r) {
        Clock::time_point start = Clock::now();
        (*twins.floating)(x);
        float_best = std::min(float_best, seconds_since(start));
        start = Clock::now();
        (*twins.ternary)(x);
        ternary_best = std::min(ternary_best, seconds_since(start));
      }
      std::printf("%5lld %7lld %12.3f %12.3f %8.2fx %14.3g", (long long)batch,
                  (long long)threads, 1e3 * float_best, 1e3 * ternary_best,
                  float_best / ternary_best, difference);
      if (activation_bits) {
        const Tensor exact = (*twins.ternary)(x);
        quant::calibrate_activations(*twins.ternary, {x});
        const double int8_difference = max_difference(exact, (*twins.ternary)(x));
        double int8_best = 1e30;
        for (int r = 0; r < repeats; ++r) {
          Clock::time_point start = Clock::now();
          (*twins.floating)(x);
          start = Clock::now();
          (*twins.ternary)(x);
          int8_best = std::min(int8_best, seconds_since(start));
        }
        quant::clear_activation_scales(*twins.ternary);
        std::printf(" %12.3f %8.2fx %14.3g", 1e3 * int8_best, float_best / int8_best,
                    int8_difference);
      }
      std::printf("\n");
      const std::string label = "batch " + std::to_string(batch) + ", " +
                                std::to_string(threads) + " thread" + (threads > 1 ? "s" : "");
      std::map<std::string, double> both = split(*twins.floating, x);
      for (const auto& [type, s] : split(*twins.ternary, x)) both[type] += s;
      splits.emplace_back(label, both);
      if (layers) {
        std::printf("\n%s, each layer alone:\n", label.c_str());
        layer_table(*twins.ternary, x, repeats);
        std::printf("\n");
      }
    }
  }
  kernels::set_num_threads(saved);
  std::printf("\nwhere the time goes (ms per forward pass, leaf modules by type):\n");
  for (const auto& [label, seconds] : splits) {
    std::printf("  %s:", label.c_str());
    for (const auto& [type, s] : seconds) std::printf("  %s %.3f", type.c_str(), 1e3 * s);
    std::printf("\n");
  }
}
