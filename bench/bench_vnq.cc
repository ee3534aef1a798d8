// VNQ training step vs plain training step of a model, LeNet-5-Caffe by default (images/s
// and their ratio), the figure the PyTorch peer (shared/peer-bench/vd_torch.py, "vnq" vs
// "plain") reports: one fixed random batch of the model's input shape, Adam, at 1 and 2
// threads. The VNQ step is `trit vnq`'s:
// cross-entropy + beta KL / N (beta = 1, N = 60000), backward, optimiser step, projection.
// The ratio is measured in alternating rounds (bench::measure_ratio), so a shared machine's
// changing load falls on both steps alike. Build optimised.
//
//   build-full/bench/bench_vnq [--model lenet5] [--batch 128] [--threads 1,2]
//                               [--steps plain|vnq]   (one kind alone, e.g. under perf record)
//                               [--block 1]   (steps of one kind in a row within a round)
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/loss.h"
#include "bench/bench_util.h"
#include "nn/models/registry.h"
#include "optim/adam.h"
#include "quant/vnq/model.h"

using namespace trit;

namespace {

constexpr float kTrainSize = 60000.0f;  // MNIST: the KL is divided by N (§4.1)

struct Step {
  std::shared_ptr<nn::Module> model;
  quant::VariationalLayers layers;  // empty for the plain model
  std::unique_ptr<optim::Optimizer> optimizer;

  void run(const Tensor& x, const std::vector<int64_t>& labels) {
    Tensor loss = cross_entropy((*model)(x), labels);
    if (!layers.empty()) loss = loss + quant::total_kl(layers, 1.0f / kTrainSize);
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
    if (!layers.empty()) quant::project(layers);
  }
};

Step make_step(const std::string& name, bool variational, Rng& rng) {
  Step step;
  step.model = nn::make_model(name, rng);
  if (!variational) {
    step.optimizer = std::make_unique<optim::Adam>(step.model->parameters(), optim::AdamOptions{});
    return step;
  }
  step.layers = quant::make_variational(*step.model, quant::VnqConfig{}, 1);
  step.optimizer = std::make_unique<optim::Adam>(quant::vnq_param_groups(*step.model, step.layers),
                                                 optim::AdamOptions{});
  return step;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = "lenet5", thread_counts = "1,2", steps = "plain,vnq";
  int64_t batch = 128;
  int block = 1;  // steps of one kind before switching to the other
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) name = argv[i + 1];
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) thread_counts = argv[i + 1];
    if (!std::strcmp(argv[i], "--steps")) steps = argv[i + 1];
    if (!std::strcmp(argv[i], "--block")) block = std::stoi(argv[i + 1]);
  }
  std::printf("VNQ vs plain training step, SIMD target %s\n",
              kernels::dispatch_target().c_str());
  for (const std::string& threads_text : bench::split(thread_counts)) {
    const int threads = std::stoi(threads_text);
    kernels::set_num_threads(threads);
    Rng rng(0);
    Shape input_shape = nn::model_spec(name).input_shape;
    input_shape.insert(input_shape.begin(), batch);
    const Tensor x = Tensor::normal(input_shape, 0.0f, 1.0f, rng);
    std::vector<int64_t> labels(batch);
    for (int64_t& label : labels) label = static_cast<int64_t>(rng.below(10));
    const std::string prefix = name + " b" + std::to_string(batch);
    const std::string suffix = " " + std::to_string(threads) + " thr";
    if (steps != "plain,vnq") {  // one kind alone
      const bool variational = steps == "vnq";
      Step step = make_step(name, variational, rng);
      const std::string label = prefix + (variational ? " train-vnq" : " train-plain") + suffix;
      bench::print_rates(label.c_str(), bench::measure([&] { step.run(x, labels); }, batch, threads),
                         "img/s");
      continue;
    }
    Step plain = make_step(name, false, rng), vnq = make_step(name, true, rng);
    const bench::PairedRatio paired = bench::measure_ratio(
        [&] { plain.run(x, labels); }, [&] { vnq.run(x, labels); }, batch, threads, 15, 0.6, block);
    bench::print_rates((prefix + " train-plain" + suffix).c_str(), paired.a, "img/s");
    bench::print_rates((prefix + " train-vnq" + suffix).c_str(), paired.b, "img/s");
    std::printf("%s%s: VNQ step / plain step = %.2fx (median of %zu paired rounds, cpu-norm; "
                "quartiles %.2f-%.2f)\n",
                prefix.c_str(), suffix.c_str(), paired.median(), paired.ratio.size(),
                paired.quantile(0.25), paired.quantile(0.75));
  }
  return 0;
}
