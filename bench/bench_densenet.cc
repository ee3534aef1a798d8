// DenseNet training and inference throughput (images/s) and the peak memory of a training
// step: the figures the PyTorch peer (shared/peer-bench/densenet_torch.py) reports for
// DenseNet-BC-40. One fixed random CIFAR-shaped batch; a training step is forward +
// cross-entropy + backward + SGD step (Nesterov momentum 0.9, weight decay 1e-4, BN in
// training mode); inference is an evaluation-mode forward under NoGradGuard. Build optimised.
//
//   build-full/bench/bench_densenet [--model densenet-bc40] [--batch 64] [--threads 1,2]
//       [--repeats 5] [--seconds 1] [--memory] [--steps N]
// Each figure is the median [min-max] of `repeats` runs of at least `seconds` each, wall and
// cpu-norm (bench/bench_util.h; as the peer scripts report them).
// --memory: peak RSS (getrusage ru_maxrss) of one training step, in a fresh child process
// per graph: memory-efficient dense blocks, then the concat graph. --steps N: only run N
// training steps at the first thread count (for perf record).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/loss.h"
#include "bench/bench_util.h"
#include "nn/models/densenet.h"
#include "nn/models/registry.h"
#include "optim/sgd.h"

using namespace trit;

namespace {

struct Options {
  std::string model = "densenet-bc40";
  int64_t batch = 64;
  std::vector<int> threads = {1, 2};
  int repeats = 5;
  double seconds = 1.0;
  bool memory = false;
  int steps = 0;
};

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

// The registry's model, or its concat-graph twin when memory_efficient is false.
std::shared_ptr<nn::Module> build(const std::string& name, bool memory_efficient, Rng& rng) {
  std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
  const auto* densenet = dynamic_cast<const nn::DenseNet*>(model.get());
  if (densenet == nullptr || memory_efficient) return model;
  nn::DenseNetConfig config = densenet->config();
  config.memory_efficient = false;
  return std::make_shared<nn::DenseNet>(config, rng);
}

// A model, one batch and its training step.
struct Bench {
  std::shared_ptr<nn::Module> model;
  Tensor images;
  std::vector<int64_t> labels;
  std::unique_ptr<optim::SGD> sgd;

  Bench(const Options& o, bool memory_efficient) {
    Rng rng(0);
    model = build(o.model, memory_efficient, rng);
    images = Tensor::normal({o.batch, 3, 32, 32}, 0.0f, 1.0f, rng);
    labels.resize(size_t(o.batch));
    for (int64_t& label : labels) label = int64_t(rng.below(10));
    sgd = std::make_unique<optim::SGD>(model->parameters(),
                                       optim::SgdOptions{0.1f, 0.9f, 0.0f, 1e-4f, true});
  }
  void train_step() {
    sgd->zero_grad();
    backward(cross_entropy((*model)(images), labels));
    sgd->step();
  }
};

// Peak RSS of one training step in a child process (ru_maxrss never goes down).
void report_memory(const Options& o, bool memory_efficient) {
  std::fflush(stdout);
  const pid_t child = fork();
  if (child == 0) {
    Bench bench(o, memory_efficient);
    const double before = peak_rss_mib();
    bench.train_step();
    std::printf("%-22s peak RSS %7.1f MiB after one step at batch %lld (%.1f MiB before it)\n",
                memory_efficient ? "memory-efficient" : "concat graph", peak_rss_mib(),
                static_cast<long long>(o.batch), before);
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) out.push_back(std::max(1, std::stoi(part)));
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--memory") {
      o.memory = true;
      continue;
    }
    ++i;
    if (arg == "--model") o.model = value;
    if (arg == "--batch") o.batch = std::atoll(value);
    if (arg == "--threads") o.threads = parse_ints(value);
    if (arg == "--repeats") o.repeats = std::max(1, std::atoi(value));
    if (arg == "--seconds") o.seconds = std::atof(value);
    if (arg == "--steps") o.steps = std::atoi(value);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::printf("bench_densenet: %s, batch %lld, SIMD target %s, median of %d repeats\n",
              o.model.c_str(), static_cast<long long>(o.batch), kernels::dispatch_target().c_str(),
              o.repeats);
  if (o.memory) {
    report_memory(o, true);
    report_memory(o, false);
    return 0;
  }
  if (o.steps > 0) {
    kernels::set_num_threads(o.threads.front());
    Bench bench(o, true);
    for (int s = 0; s < o.steps; ++s) bench.train_step();
    return 0;
  }
  for (int threads : o.threads) {
    kernels::set_num_threads(threads);
    Bench bench(o, true);
    const std::string suffix =
        " b" + std::to_string(o.batch) + " " + std::to_string(threads) + " thr";
    bench::print_rates(
        ("train-sgd" + suffix).c_str(),
        bench::measure([&] { bench.train_step(); }, double(o.batch), threads, o.repeats, o.seconds),
        "img/s");
    bench.model->eval();
    const auto infer = [&] {
      NoGradGuard no_grad;
      (*bench.model)(bench.images);
    };
    bench::print_rates(("infer" + suffix).c_str(),
                       bench::measure(infer, double(o.batch), threads, o.repeats, o.seconds),
                       "img/s");
  }
  return 0;
}
