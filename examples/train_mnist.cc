// Your own training loop: a small MLP on MNIST with the library's loader, optimiser and
// checkpoint calls, and nothing of the `trit` program. What `trit train` does, spelled out.
//
//   train_mnist [MNIST_DIR [STEPS [CHECKPOINT]]]   (defaults: data/mnist, 300, mlp.safetensors)
//
// Prints the mean loss of every 50 steps and the test accuracy on 2,000 test images; saves
// the model with its Adam state; exits 1 unless the loss of the last 50 steps is below that
// of the first 50. Compiles outside the tree against an installed trit:
//   c++ -std=c++17 train_mnist.cc $(pkg-config --cflags --libs trit) -o train_mnist
#include <cstdio>
#include <memory>
#include <string>

#include "autograd/graph.h"
#include "autograd/ops/loss.h"
#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "datasets/normalization.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "optim/adam.h"
#include "train/checkpoint.h"

using namespace trit;

int main(int argc, char** argv) try {
  const std::string dir = argc > 1 ? argv[1] : "data/mnist";
  const int64_t steps = argc > 2 ? std::stoll(argv[2]) : 300;
  const std::string checkpoint = argc > 3 ? argv[3] : "mlp.safetensors";

  // Data: 60,000 training and 10,000 test images of 1x28x28, normalised with the training
  // set's mean and standard deviation.
  const datasets::ImageDataset train = datasets::load_mnist(dir, datasets::Split::kTrain);
  const datasets::ImageDataset test = datasets::load_mnist(dir, datasets::Split::kTest);
  const datasets::Normalization normalization = datasets::channel_mean_std(train);

  // Model: 784 -> 128 -> 10, and Adam over its parameters.
  Rng rng(1);
  auto model = std::make_shared<nn::Sequential>();
  model->add("flatten", std::make_shared<nn::Flatten>())
      .add("fc1", std::make_shared<nn::Linear>(28 * 28, 128, rng))
      .add("relu", std::make_shared<nn::ReLU>())
      .add("fc2", std::make_shared<nn::Linear>(128, 10, rng));
  optim::Adam optimizer(model->parameters(), optim::AdamOptions{});

  // The loop: batches of 64 in a seeded shuffled order; forward, loss, backward, step.
  datasets::DataLoader loader(train, datasets::LoaderOptions::shuffled(64, 1, normalization));
  loader.start_epoch(0);
  datasets::Batch batch;
  double window = 0.0, first = 0.0, last = 0.0;
  for (int64_t step = 1; step <= steps; ++step) {
    if (!loader.next(batch)) loader.start_epoch(step), loader.next(batch);
    const Tensor loss = cross_entropy((*model)(batch.images), batch.labels);
    optimizer.zero_grad();
    backward(loss);
    optimizer.step();
    window += loss.item();
    if (step % 50 == 0) {
      std::printf("step %4lld  mean loss %.4f\n", static_cast<long long>(step), window / 50);
      if (step == 50) first = window / 50;
      last = window / 50;
      window = 0.0;
    }
  }

  // Evaluation: no tape, the first 2,000 test images in order.
  NoGradGuard no_grad;
  datasets::DataLoader test_loader(test, datasets::LoaderOptions::in_order(500, normalization));
  test_loader.start_epoch(0);
  int64_t correct = 0, seen = 0;
  while (seen < 2000 && test_loader.next(batch)) {
    const Tensor logits = (*model)(batch.images);
    for (int64_t i = 0; i < logits.size(0); ++i) {
      const float* row = logits.data() + i * 10;
      int64_t best = 0;
      for (int64_t c = 1; c < 10; ++c) best = row[c] > row[best] ? c : best;
      correct += best == batch.labels[i];
    }
    seen += logits.size(0);
  }
  std::printf("test accuracy %.2f%% on %lld images\n", 100.0 * correct / seen,
              static_cast<long long>(seen));

  // The checkpoint: weights and Adam's moments, which train::load_checkpoint resumes from.
  nn::TrainingState state;
  state.step = steps;
  train::save_checkpoint(checkpoint, *model, optimizer, state);
  std::printf("saved %s; loss %.4f -> %.4f\n", checkpoint.c_str(), first, last);
  return last < first ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_mnist: %s\n", e.what());
  return 1;
}
