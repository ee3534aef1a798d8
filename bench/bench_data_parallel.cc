// bench_data_parallel: training steps per second of one model over the ranks mpirun starts
// (distributed/data_parallel.h), and the time the gradient sums add to a step.
//
//   mpirun -np R build/release/bench/bench_data_parallel [--model lenet5|densenet-bc40]
//       [--batch 64] [--steps 20] [--threads T] [--no-overlap] [--sync-bn] [--bucket-kb 1024]
//
// Each step: SGD (momentum 0.9) on this rank's share of a global batch of random images of
// the model's input shape, as `trit train` does it (forward, cross-entropy, data-parallel
// backward, step). Two warm-up steps, then `steps` timed ones. Rank 0 prints one line: images
// per second over the global batches, milliseconds per step, and of those the milliseconds
// spent waiting for gradient sums that backward did not hide (the sums themselves and the wait
// for the slower rank), and then the time of one blocking sum of all the gradients with the
// ranks in step (the communication alone). bench/data_parallel.sh runs
// 1 rank x 2 threads against 2 ranks x 1 thread side by side.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "autograd/kernels/parallel.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/loss.h"
#include "autograd/random.h"
#include "datasets/loader.h"
#include "distributed/data_parallel.h"
#include "nn/models/registry.h"
#include "optim/sgd.h"

using namespace trit;

int main(int argc, char** argv) {
  const distributed::Communicator& world = distributed::Communicator::world();
  std::string model_name = "lenet5";
  int64_t batch = 64, steps = 20;
  int threads = 0;
  distributed::DataParallelOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--model")
      model_name = value();
    else if (arg == "--batch")
      batch = std::stoll(value());
    else if (arg == "--steps")
      steps = std::stoll(value());
    else if (arg == "--threads")
      threads = std::stoi(value());
    else if (arg == "--no-overlap")
      options.overlap = false;
    else if (arg == "--sync-bn")
      options.sync_batch_norm = true;
    else if (arg == "--bucket-kb")
      options.bucket_bytes = std::stoull(value()) * 1024;
    else {
      std::fprintf(stderr, "bench_data_parallel: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (threads > 0) kernels::set_num_threads(threads);
  Rng rng(1);
  std::shared_ptr<nn::Module> model = nn::make_model(model_name, rng);
  const Shape image = model_name == "lenet5" ? Shape{1, 28, 28} : Shape{3, 32, 32};
  distributed::DataParallel parallel(*model, world, options);
  parallel.broadcast_state();
  optim::SGD sgd(model->parameters(), optim::SgdOptions{0.01f, 0.9f, 0.0f, 0.0f, false});
  model->train();

  const datasets::ShardRange part = datasets::shard_range(batch, world.rank(), world.size());
  const int64_t mine = part.end - part.begin;
  Rng data(7);
  const Tensor images = Tensor::normal({mine, image[0], image[1], image[2]}, 0.0f, 1.0f, data);
  std::vector<int64_t> labels(static_cast<size_t>(mine));
  for (int64_t& label : labels) label = static_cast<int64_t>(data.below(10));

  const auto step = [&] {
    sgd.zero_grad();
    const Tensor loss = cross_entropy((*model)(images), labels);
    parallel.backward(loss, double(mine) / double(batch));
    sgd.step();
  };
  for (int i = 0; i < 2; ++i) step();
  world.barrier();
  const double reduce_before = parallel.reduce_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) step();
  world.barrier();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double reduce = parallel.reduce_seconds() - reduce_before;
  world.sum(&reduce, 1);  // the mean over ranks
  reduce /= world.size();
  int64_t parameters = 0;
  for (const Tensor& p : model->parameters()) parameters += p.numel();
  // The sum alone: all the gradients' floats in one blocking MPI_Allreduce, ranks in step
  // (a barrier first), so that no rank waits for another's backward.
  std::vector<float> gradients(static_cast<size_t>(parameters), 1.0f);
  double alone = 0.0;
  constexpr int kSums = 20;
  for (int i = 0; i < kSums; ++i) {
    world.barrier();
    const auto begin = std::chrono::steady_clock::now();
    world.sum(gradients.data(), gradients.size());
    alone += std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  }
  if (world.is_root())
    std::printf(
        "%s ranks %d threads %d batch %lld: %.1f img/s, %.2f ms/step, gradient sums %.3f "
        "ms/step not hidden (%s, %zu buckets, %.2f MB of gradients; one sum of them alone "
        "%.3f ms)\n",
        model_name.c_str(), world.size(), kernels::num_threads(), static_cast<long long>(batch),
        double(batch * steps) / seconds, 1e3 * seconds / double(steps),
        1e3 * reduce / double(steps), options.overlap ? "overlapped" : "after backward",
        parallel.buckets(), 4.0 * double(parameters) / 1e6, 1e3 * alone / kSums);
  return 0;
}
