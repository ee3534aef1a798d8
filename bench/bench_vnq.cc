// VNQ training step vs plain training step of LeNet-5-Caffe (images/s and their ratio), the
// figure the PyTorch peer (shared/peer-bench/vd_torch.py, "vnq" vs "plain") reports: one fixed
// random MNIST-shaped batch, Adam, at 1 and 2 threads. The VNQ step is `trit vnq`'s:
// cross-entropy + beta KL / N (beta = 1, N = 60000), backward, optimiser step, projection.
// Build optimised.
//
//   build-full/bench/bench_vnq [--model lenet5] [--batch 128] [--threads 1,2]
//                               [--steps plain,vnq]   (one kind alone, e.g. under perf record)
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
#include "quant/vnq_model.h"

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
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) name = argv[i + 1];
    if (!std::strcmp(argv[i], "--batch")) batch = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) thread_counts = argv[i + 1];
    if (!std::strcmp(argv[i], "--steps")) steps = argv[i + 1];
  }
  std::printf("VNQ vs plain training step, SIMD target %s (median of 5 repeats)\n",
              kernels::dispatch_target().c_str());
  for (const std::string& threads_text : bench::split(thread_counts)) {
    const int threads = std::stoi(threads_text);
    kernels::set_num_threads(threads);
    Rng rng(0);
    const Tensor x = Tensor::normal({batch, 1, 28, 28}, 0.0f, 1.0f, rng);
    std::vector<int64_t> labels(batch);
    for (int64_t& label : labels) label = static_cast<int64_t>(rng.below(10));
    double cpu_rate[2] = {0, 0};
    for (bool variational : {false, true}) {
      if (steps.find(variational ? "vnq" : "plain") == std::string::npos) continue;
      Step step = make_step(name, variational, rng);
      const std::string label = name + " b" + std::to_string(batch) +
                                (variational ? " train-vnq " : " train-plain ") +
                                std::to_string(threads) + " thr";
      const bench::Rates rates = bench::measure([&] { step.run(x, labels); }, batch, threads);
      bench::print_rates(label.c_str(), rates, "img/s");
      cpu_rate[variational] = rates.median_cpu();
    }
    if (cpu_rate[0] == 0 || cpu_rate[1] == 0) continue;
    std::printf("%s b%lld %d thr: VNQ step / plain step = %.2fx (cpu-norm medians)\n", name.c_str(),
                static_cast<long long>(batch), threads, cpu_rate[0] / cpu_rate[1]);
  }
  return 0;
}
