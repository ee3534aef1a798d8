// LeNet-5 training and inference throughput (images/s), the figure the PyTorch peer
// (shared/peer-bench/lenet5_torch.py) reports: one fixed random MNIST-shaped batch, forward
// + cross-entropy + backward + optimiser step, at 1 and 2 threads. Build optimised.
//
//   build/release/bench/bench_lenet [--models lenet5,lenet5-classic] [--batches 64,128]
//                                   [--threads 1,2]
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "autograd/ops/loss.h"
#include "bench/bench_util.h"
#include "nn/models/registry.h"
#include "optim/adam.h"
#include "optim/sgd.h"

using namespace trit;

namespace {

std::unique_ptr<optim::Optimizer> make(const std::string& kind, const nn::Module& model) {
  if (kind == "sgd") {
    optim::SgdOptions options;
    options.lr = 0.01f;
    options.momentum = 0.9f;
    return std::make_unique<optim::SGD>(model.parameters(), options);
  }
  return std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{});
}

}  // namespace

int main(int argc, char** argv) {
  std::string models = "lenet5,lenet5-classic", batches = "64,128", thread_counts = "1,2";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--models")) models = argv[i + 1];
    if (!std::strcmp(argv[i], "--batches")) batches = argv[i + 1];
    if (!std::strcmp(argv[i], "--threads")) thread_counts = argv[i + 1];
  }
  std::printf("LeNet-5 throughput, SIMD target %s (median of 5 repeats)\n",
              kernels::dispatch_target().c_str());
  for (const std::string& name : bench::split(models))
    for (const std::string& batch_text : bench::split(batches))
      for (const std::string& threads_text : bench::split(thread_counts)) {
        const int threads = std::stoi(threads_text);
        kernels::set_num_threads(threads);
        const int64_t batch = std::stoll(batch_text);
        Rng rng(0);
        const Tensor x = Tensor::normal({batch, 1, 28, 28}, 0.0f, 1.0f, rng);
        std::vector<int64_t> labels(batch);
        for (int64_t& label : labels) label = static_cast<int64_t>(rng.below(10));
        for (const char* kind : {"sgd", "adam"}) {
          std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
          auto optimizer = make(kind, *model);
          const auto step = [&] {
            optimizer->zero_grad();
            cross_entropy((*model)(x), labels).backward();
            optimizer->step();
          };
          const std::string label =
              name + " b" + batch_text + " train-" + kind + " " + std::to_string(threads) + " thr";
          bench::print_rates(label.c_str(), bench::measure(step, batch, threads), "img/s");
        }
        std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
        model->eval();
        const auto infer = [&] {
          NoGradGuard no_grad;
          (*model)(x);
        };
        const std::string label =
            name + " b" + batch_text + " infer " + std::to_string(threads) + " thr";
        bench::print_rates(label.c_str(), bench::measure(infer, batch, threads), "img/s");
      }
  return 0;
}
