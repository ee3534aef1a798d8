// batch_norm: values and running statistics against double-precision loops, train vs
// eval, gradient checks in both modes, thread-count determinism and argument errors.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "autograd/graph.h"
#include "autograd/ops/batch_norm.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/unary.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::GradcheckOptions;
using trit::testing::random_input;

namespace {

struct Reference {
  std::vector<double> out, running_mean, running_var;
};

// Batch norm written out with plain loops in double (x is [N,C] or [N,C,H,W]).
Reference reference_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b,
                               const Tensor& running_mean, const Tensor& running_var, bool training,
                               double momentum, double eps) {
  const int64_t n = x.shape()[0], channels = x.shape()[1];
  const int64_t spatial = x.dim() == 4 ? x.shape()[2] * x.shape()[3] : 1;
  const double count = static_cast<double>(n * spatial);
  const auto at = [&](int64_t i, int64_t c, int64_t s) { return (i * channels + c) * spatial + s; };
  Reference ref{std::vector<double>(x.numel()), {}, {}};
  for (int64_t c = 0; c < channels; ++c) {
    double mean = 0.0, var = 0.0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) mean += x.data()[at(i, c, s)] / count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) var += std::pow(x.data()[at(i, c, s)] - mean, 2);
    var /= count;
    double rm = running_mean.data()[c], rv = running_var.data()[c];
    if (training) {
      rm = (1.0 - momentum) * rm + momentum * mean;
      rv = (1.0 - momentum) * rv + momentum * var * count / (count - 1.0);
    } else {
      mean = rm;
      var = rv;
    }
    ref.running_mean.push_back(rm);
    ref.running_var.push_back(rv);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t s = 0; s < spatial; ++s) {
        const int64_t k = at(i, c, s);
        ref.out[k] = (x.data()[k] - mean) / std::sqrt(var + eps) * w.data()[c] + b.data()[c];
      }
  }
  return ref;
}

void check_close(const Tensor& got, const std::vector<double>& want, double tolerance) {
  REQUIRE(got.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(got.data()[i] == doctest::Approx(want[i]).epsilon(tolerance));
  }
}

// Channel parameters: weight away from 0, bias, and non-trivial running statistics.
struct Parameters {
  Tensor weight, bias, running_mean, running_var;
};

Parameters parameters(int64_t channels, uint64_t seed) {
  Rng rng(seed);
  Parameters p{
      Tensor::uniform({channels}, 0.5f, 1.5f, rng), Tensor::uniform({channels}, -0.5f, 0.5f, rng),
      Tensor::uniform({channels}, -0.2f, 0.2f, rng), Tensor::uniform({channels}, 0.5f, 2.0f, rng)};
  p.weight.set_requires_grad(true);
  p.bias.set_requires_grad(true);
  return p;
}

const std::vector<Shape> kShapes = {{5, 3}, {2, 3, 4, 5}, {3, 2, 1, 17}, {8, 4, 6, 6}};

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("batch_norm training matches a hand computation, running statistics included") {
    // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
    const Tensor x = Tensor::from({4, 1}, {1, 2, 3, 4});
    Tensor rm = Tensor::zeros({1}), rv = Tensor::ones({1});
    const Tensor y = batch_norm(x, Tensor::full({1}, 2.0f), Tensor::full({1}, 0.5f), rm, rv, true);
    for (int64_t i = 0; i < 4; ++i)
      CHECK(y.data()[i] == doctest::Approx(2.0 * (i + 1 - 2.5) / std::sqrt(1.25 + 1e-5) + 0.5));
    CHECK(rm.item() == doctest::Approx(0.1 * 2.5));
    CHECK(rv.item() == doctest::Approx(0.9 * 1.0 + 0.1 * 5.0 / 3.0));
  }

  TEST_CASE("batch_norm matches double-precision loops in training and evaluation") {
    for (const Shape& shape : kShapes) {
      for (bool training : {true, false}) {
        CAPTURE(to_string(shape));
        CAPTURE(training);
        Rng rng(3);
        const Tensor x = Tensor::normal(shape, 1.5f, 2.0f, rng);
        Parameters p = parameters(shape[1], 4);
        const Reference want = reference_batch_norm(x, p.weight, p.bias, p.running_mean,
                                                    p.running_var, training, 0.3, 1e-3);
        const Tensor y =
            batch_norm(x, p.weight, p.bias, p.running_mean, p.running_var, training, 0.3f, 1e-3f);
        check_close(y, want.out, 1e-5);
        check_close(p.running_mean, want.running_mean, 1e-5);
        check_close(p.running_var, want.running_var, 1e-5);
      }
    }
  }

  TEST_CASE("batch_norm evaluation uses the running statistics and leaves them alone") {
    Rng rng(5);
    const Tensor x = Tensor::normal({6, 2, 3, 3}, 0.0f, 1.0f, rng);
    Parameters p = parameters(2, 6);
    const std::vector<float> rm = p.running_mean.to_vector(), rv = p.running_var.to_vector();
    const Tensor eval = batch_norm(x, p.weight, p.bias, p.running_mean, p.running_var, false);
    CHECK(p.running_mean.to_vector() == rm);
    CHECK(p.running_var.to_vector() == rv);
    const Tensor train = batch_norm(x, p.weight, p.bias, p.running_mean, p.running_var, true);
    CHECK(p.running_mean.to_vector() != rm);
    CHECK(eval.to_vector() != train.to_vector());
    {  // NoGradGuard stops recording, not the running-statistics update
      NoGradGuard no_grad;
      const std::vector<float> before = p.running_mean.to_vector();
      batch_norm(x, p.weight, p.bias, p.running_mean, p.running_var, true);
      CHECK(p.running_mean.to_vector() != before);
    }
  }

  TEST_CASE("batch_norm_relu_eval equals slice, batch_norm and relu in evaluation, every target") {
    trit::testing::for_each_target([] {
      Rng rng(15);
      const Tensor x = Tensor::normal({3, 5, 4, 7}, 0.0f, 1.0f, rng);  // 3 of its 5 channels
      Parameters p = parameters(3, 16);
      NoGradGuard no_grad;
      const Tensor fused = batch_norm_relu_eval(x, 3, p.weight, p.bias, p.running_mean,
                                                p.running_var, 1e-3f);
      const Tensor reference = relu(batch_norm(slice(x, 1, 0, 3), p.weight, p.bias,
                                               p.running_mean, p.running_var, false, 0.1f, 1e-3f));
      REQUIRE(fused.shape() == reference.shape());
      CHECK(fused.to_vector() == reference.to_vector());
      CHECK_THROWS_WITH_AS(batch_norm_relu_eval(x, 6, p.weight, p.bias, p.running_mean,
                                                p.running_var),
                           "batch_norm_relu_eval: 6 channels of input [3,5,4,7]", Error);
      CHECK_THROWS_WITH_AS(batch_norm_relu_eval(x, 2, p.weight, p.bias, p.running_mean,
                                                p.running_var),
                           doctest::Contains("parameter [3] for 2 channels"), Error);
    });
    Rng rng(16);
    const Tensor x = Tensor::normal({2, 3, 2, 2}, 0.0f, 1.0f, rng);
    Parameters p = parameters(3, 17);
    p.weight.set_requires_grad(true);  // would need a backward it does not record
    CHECK_THROWS_WITH_AS(
        batch_norm_relu_eval(x, 3, p.weight, p.bias, p.running_mean, p.running_var),
        doctest::Contains("batch_norm_relu_eval: records nothing"), Error);
  }

  TEST_CASE("batch_norm backward matches finite differences in both modes") {
    // Float forward passes: a larger step and looser tolerances than the default.
    GradcheckOptions options;
    options.eps = 3e-3f;
    options.atol = 3e-3f;
    options.rtol = 2e-2f;
    for (const Shape& shape : {Shape{6, 3}, Shape{3, 2, 3, 4}, Shape{2, 2, 1, 5}}) {
      for (bool training : {true, false}) {
        CAPTURE(to_string(shape));
        CAPTURE(training);
        const Tensor x = random_input(shape, 7);
        const Parameters p = parameters(shape[1], 8);
        gradcheck(
            [&](const std::vector<Tensor>& v) {
              Tensor rm = p.running_mean.clone(), rv = p.running_var.clone();
              return batch_norm(v[0], v[1], v[2], rm, rv, training);
            },
            {x, p.weight, p.bias}, options);
      }
    }
    // Only the parameters require grad: x's derivative is skipped, theirs is still right.
    Tensor frozen = random_input({4, 3, 2, 2}, 9);
    frozen.set_requires_grad(false);
    const Parameters p = parameters(3, 10);
    gradcheck(
        [&](const std::vector<Tensor>& v) {
          Tensor rm = p.running_mean.clone(), rv = p.running_var.clone();
          return batch_norm(v[0], v[1], v[2], rm, rv, true);
        },
        {frozen, p.weight, p.bias}, options);
    CHECK_FALSE(frozen.has_grad());
  }

  TEST_CASE("batch_norm forward and backward are bit-identical for any thread count") {
    const int threads = kernels::num_threads();
    std::vector<std::vector<float>> runs;
    for (int t : {1, 2, 3}) {
      kernels::set_num_threads(t);
      const Tensor x = random_input({16, 7, 9, 9}, 11);
      Parameters p = parameters(7, 12);
      const Tensor y = batch_norm(x, p.weight, p.bias, p.running_mean, p.running_var, true);
      Rng rng(13);
      backward(y, Tensor::normal(y.shape(), 0.0f, 1.0f, rng));
      std::vector<float> all = y.to_vector();
      for (const Tensor& t :
           {x.grad(), p.weight.grad(), p.bias.grad(), p.running_mean, p.running_var}) {
        const auto v = t.to_vector();
        all.insert(all.end(), v.begin(), v.end());
      }
      runs.push_back(all);
    }
    kernels::set_num_threads(threads);
    CHECK(runs[0] == runs[1]);
    CHECK(runs[0] == runs[2]);
  }

  TEST_CASE("batch_norm argument errors name the shapes") {
    Tensor rm = Tensor::zeros({3}), rv = Tensor::ones({3});
    const Tensor w = Tensor::ones({3}), b = Tensor::zeros({3});
    const auto message = [&](const Tensor& x, const Tensor& weight, bool training,
                             float momentum = 0.1f, float eps = 1e-5f) {
      try {
        batch_norm(x, weight, b, rm, rv, training, momentum, eps);
      } catch (const Error& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK(message(Tensor::zeros({2, 3, 4}), w, true) ==
          "batch_norm: input [2,3,4]: expected [N,C] or [N,C,H,W]");
    CHECK(message(Tensor::zeros({2, 3, 4, 4}), Tensor::ones({5}), true) ==
          "batch_norm: weight [5] for input [2,3,4,4]: expected [3]");
    CHECK(message(Tensor::zeros({1, 3, 1, 1}), w, true) ==
          "batch_norm: input [1,3,1,1]: training needs more than one value per channel");
    CHECK(message(Tensor::zeros({1, 3}), w, false) == "no error");
    CHECK(message(Tensor::zeros({2, 3}), w, true, 1.5f) ==
          "batch_norm: momentum 1.500000 is outside [0, 1]");
    CHECK(message(Tensor::zeros({2, 3}), w, true, 0.1f, 0.0f) ==
          "batch_norm: eps 0.000000 must be positive");
  }
}
