// The parts of data-parallel training that one process can check (the rest runs under
// mpirun: tests/mpi/): the batch split, the sharded loader, backward's gradient-ready
// notifications, and synchronised BatchNorm, whose cross-process sums two threads stand in
// for here (each thread has its own tape, as each MPI rank has its own process).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "autograd/error.h"
#include "autograd/fused/norm_relu_conv.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/batch_norm.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/reduce.h"
#include "datasets/loader.h"
#include "distributed/data_parallel.h"
#include "nn/linear.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::random_input;

namespace {

// A CrossProcessSum over `parties` threads: each thread's call returns once every thread has
// called it for the same round, with the element-wise total of all their values.
class ThreadSum {
 public:
  explicit ThreadSum(int parties) : parties_(parties) {}

  void operator()(std::vector<double>& values) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int round = round_;
    std::vector<double>& total = totals_[round];
    total.resize(values.size(), 0.0);
    for (size_t i = 0; i < values.size(); ++i) total[i] += values[i];
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++round_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return round_ != round; });
    }
    values = totals_[round];
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int parties_, arrived_ = 0, round_ = 0;
  std::map<int, std::vector<double>> totals_;  // per round, kept for late readers
};

void check_close(const Tensor& actual, const std::vector<float>& expected, float tolerance) {
  REQUIRE(static_cast<size_t>(actual.numel()) == expected.size());
  float worst = 0.0f;
  for (size_t i = 0; i < expected.size(); ++i)
    worst = std::max(worst, std::abs(actual.data()[i] - expected[i]));
  CHECK(worst <= tolerance);
}

std::vector<float> part(const Tensor& t, int64_t begin, int64_t end) {  // images [begin, end)
  return slice(t.detach(), 0, begin, end).to_vector();
}

// What one "rank" (thread) of a synchronised batch-norm check computes and keeps.
struct Share {
  Tensor x, weight, bias, running_mean, running_var, out;
};

// Runs `step(share)` for the image halves [0, 3) and [3, 8) of x on two threads, each with its
// own copies of the parameters, and returns the two shares.
template <class Step>
std::vector<Share> run_halves(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              const Step& step) {
  std::vector<Share> shares(2);
  const int64_t bounds[3] = {0, 3, x.size(0)};  // uneven on purpose
  for (int r = 0; r < 2; ++r) {
    Share& s = shares[r];
    s.x = slice(x.detach(), 0, bounds[r], bounds[r + 1]).clone().set_requires_grad(true);
    s.weight = weight.detach().clone().set_requires_grad(true);
    s.bias = bias.detach().clone().set_requires_grad(true);
    s.running_mean = Tensor::zeros({weight.numel()});
    s.running_var = Tensor::ones({weight.numel()});
  }
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) threads.emplace_back([&, r] { step(shares[r], bounds[r]); });
  for (std::thread& t : threads) t.join();
  return shares;
}

}  // namespace

TEST_SUITE("distributed") {
  TEST_CASE("shard_range splits contiguously, the first count % shards parts one longer") {
    for (int64_t count : {0, 1, 7, 64, 65}) {
      for (int64_t shards : {1, 2, 3, 8}) {
        int64_t next = 0;
        for (int64_t s = 0; s < shards; ++s) {
          const datasets::ShardRange r = datasets::shard_range(count, s, shards);
          CHECK(r.begin == next);
          CHECK(r.end - r.begin == count / shards + (s < count % shards ? 1 : 0));
          next = r.end;
        }
        CHECK(next == count);
      }
    }
  }

  TEST_CASE("sharded loaders together give each global batch, augmentation included") {
    std::vector<uint8_t> pixels(11 * 3 * 4 * 4);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 251);
    std::vector<int64_t> labels(11);
    for (int64_t i = 0; i < 11; ++i) labels[i] = i % 10;
    const std::vector<std::string> classes(10, "class");
    const datasets::ImageDataset data(3, 4, 4, pixels, labels, classes, "test");
    datasets::LoaderOptions options = datasets::LoaderOptions::shuffled(4, 7, {});
    options.augment = datasets::CropFlip{};
    datasets::DataLoader whole(data, options);
    whole.start_epoch(2);
    std::vector<std::vector<datasets::Batch>> shards(3);
    for (int64_t s = 0; s < 3; ++s) {
      datasets::LoaderOptions mine = options;
      mine.shard = s;
      mine.shards = 3;
      datasets::DataLoader loader(data, mine);
      // 11 = 4 + 4 + 3: the last global batch (3 samples) still splits over 3 shards.
      CHECK(loader.batches_per_epoch() == 3);
      loader.start_epoch(2);
      datasets::Batch batch;
      while (loader.next(batch)) shards[s].push_back(batch);
    }
    datasets::Batch expected;
    for (size_t b = 0; whole.next(expected); ++b) {
      std::vector<float> images;
      std::vector<int64_t> indices;
      for (int64_t s = 0; s < 3; ++s) {
        const datasets::Batch& mine = shards[s][b];
        CHECK(mine.global_size == expected.images.size(0));
        const std::vector<float> values = mine.images.to_vector();
        images.insert(images.end(), values.begin(), values.end());
        indices.insert(indices.end(), mine.indices.begin(), mine.indices.end());
      }
      CHECK(images == expected.images.to_vector());
      CHECK(indices == expected.indices);
    }
    // With 4 shards the last global batch of 3 would leave one empty: it is dropped.
    datasets::LoaderOptions four = options;
    four.shards = 4;
    CHECK(datasets::DataLoader(data, four).batches_per_epoch() == 2);
    four.batch_size = 3;
    CHECK_THROWS_WITH_AS(datasets::DataLoader(data, four), doctest::Contains("cannot be split"),
                         Error);
  }

  TEST_CASE("backward's ready watch calls each leaf once, when its gradient is final") {
    Tensor a = random_input({3}, 1), b = random_input({3}, 2), c = random_input({3}, 3);
    Tensor unused = random_input({2}, 4);
    // One statement each: C++ leaves the order of an expression's operands unspecified, and
    // the tape records in evaluation order.
    const Tensor ab = sum(a * b);
    const Tensor cc = sum(c * c);
    const Tensor loss = ab + cc + sum(a);
    std::vector<std::vector<float>> at_ready(4);
    std::vector<size_t> order;
    backward(loss, Tensor::ones({}), GradReadyWatch{{a, b, c, unused}, [&](size_t i) {
                                                      const Tensor leaves[4] = {a, b, c, unused};
                                                      if (leaves[i].has_grad())
                                                        at_ready[i] = leaves[i].grad().to_vector();
                                                      order.push_back(i);
                                                    }});
    REQUIRE(order.size() == 4);
    CHECK(order.front() == 3);  // no entry takes it: ready before the walk
    CHECK(at_ready[3].empty());
    // a and b are last used by the oldest entry, a * b: both come after c.
    const auto position = [&order](size_t leaf) {
      return std::find(order.begin(), order.end(), leaf) - order.begin();
    };
    CHECK(position(2) < position(0));
    CHECK(position(2) < position(1));
    CHECK(at_ready[0] == a.grad().to_vector());
    CHECK(at_ready[1] == b.grad().to_vector());
    CHECK(at_ready[2] == c.grad().to_vector());
    for (int i = 0; i < 3; ++i)  // d/da (a.b + a) = b + 1
      CHECK(a.grad().data()[i] == doctest::Approx(b.data()[i] + 1.0f));
  }

  TEST_CASE("synchronised batch_norm over two shares equals batch_norm over the whole batch") {
    const Tensor x = random_input({8, 3, 4, 4}, 11, 2.0f);
    const Tensor weight = random_input({3}, 12), bias = random_input({3}, 13);
    const Tensor r = random_input({8, 3, 4, 4}, 14).detach();  // d loss / d out
    Tensor running_mean = Tensor::zeros({3}), running_var = Tensor::ones({3});
    const Tensor out = batch_norm(x, weight, bias, running_mean, running_var, true, 0.1f);
    sum(out * r).backward();

    ThreadSum cross(2);
    const CrossProcessSum sync = [&cross](std::vector<double>& v) { cross(v); };
    std::vector<Share> shares = run_halves(x, weight, bias, [&](Share& s, int64_t first) {
      s.out =
          batch_norm(s.x, s.weight, s.bias, s.running_mean, s.running_var, true, 0.1f, 1e-5f, sync);
      sum(s.out * slice(r, 0, first, first + s.x.size(0))).backward();
    });
    for (int i = 0; i < 2; ++i) {
      const int64_t first = i == 0 ? 0 : 3, end = first + shares[i].x.size(0);
      check_close(shares[i].out, part(out, first, end), 1e-5f);
      check_close(shares[i].x.grad(), part(x.grad(), first, end), 1e-4f);
      check_close(shares[i].running_mean, running_mean.to_vector(), 1e-6f);
      check_close(shares[i].running_var, running_var.to_vector(), 1e-5f);
    }
    // The parameters' gradients are the shares' sum (what the data-parallel sum adds up).
    check_close(shares[0].weight.grad() + shares[1].weight.grad(), weight.grad().to_vector(),
                1e-4f);
    check_close(shares[0].bias.grad() + shares[1].bias.grad(), bias.grad().to_vector(), 1e-4f);
    // Without sync each share normalises with its own statistics: a different output.
    Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
    const Tensor alone =
        batch_norm(shares[0].x.detach(), weight.detach(), bias.detach(), rm, rv, true, 0.1f);
    float difference = 0.0f;
    for (int64_t i = 0; i < alone.numel(); ++i)
      difference = std::max(difference, std::abs(alone.data()[i] - out.data()[i]));
    CHECK(difference > 1e-2f);
  }

  TEST_CASE("synchronised norm_relu_conv2d over two shares equals it over the whole batch") {
    const Tensor x = random_input({8, 4, 5, 5}, 21, 2.0f);
    const Tensor weight = random_input({3}, 22), bias = random_input({3}, 23);
    const Tensor kernel = random_input({2, 3, 3, 3}, 24, 0.3f);
    const Conv2dOptions options{1, 1, 1};
    BatchNormState whole{weight, bias, Tensor::zeros({3}), Tensor::ones({3}), true, 0.1f,
                         1e-5f,  {}};
    const Tensor out = norm_relu_conv2d(x, 3, whole, kernel, options);
    const Tensor r = random_input(out.shape(), 25).detach();
    sum(out * r).backward();

    ThreadSum cross(2);
    std::vector<Tensor> kernels(2);
    std::vector<Share> shares = run_halves(x, weight, bias, [&](Share& s, int64_t first) {
      Tensor& k = kernels[first == 0 ? 0 : 1];
      k = kernel.detach().clone().set_requires_grad(true);
      BatchNormState norm{
          s.weight, s.bias, s.running_mean, s.running_var,
          true,     0.1f,   1e-5f,          [&cross](std::vector<double>& v) { cross(v); }};
      s.out = norm_relu_conv2d(s.x, 3, norm, k, options);
      sum(s.out * slice(r, 0, first, first + s.x.size(0))).backward();
    });
    for (int i = 0; i < 2; ++i) {
      const int64_t first = i == 0 ? 0 : 3, end = first + shares[i].x.size(0);
      check_close(shares[i].out, part(out, first, end), 1e-4f);
      check_close(shares[i].x.grad(), part(x.grad(), first, end), 1e-4f);
      check_close(shares[i].running_var, whole.running_var.to_vector(), 1e-5f);
    }
    check_close(kernels[0].grad() + kernels[1].grad(), kernel.grad().to_vector(), 1e-3f);
    check_close(shares[0].weight.grad() + shares[1].weight.grad(), weight.grad().to_vector(),
                1e-3f);
  }

  TEST_CASE("DataParallel in one process: backward seeded with the share, state untouched") {
    Rng rng(3);
    nn::Linear layer(4, 2, rng);
    distributed::DataParallel parallel(layer, distributed::Communicator::single());
    const std::vector<float> before = layer.parameters()[0].to_vector();
    parallel.broadcast_state();
    parallel.average_buffers();
    CHECK(layer.parameters()[0].to_vector() == before);
    const Tensor input = random_input({3, 4}, 5).detach();
    parallel.backward(sum(layer(input)), 0.25);
    const std::vector<float> quarter = layer.parameters()[0].grad().to_vector();
    layer.parameters()[0].zero_grad();
    layer.parameters()[1].zero_grad();
    sum(layer(input)).backward();
    const std::vector<float> full = layer.parameters()[0].grad().to_vector();
    for (size_t i = 0; i < full.size(); ++i) CHECK(quarter[i] == 0.25f * full[i]);
    CHECK(distributed::Communicator::single().size() == 1);
  }
}
