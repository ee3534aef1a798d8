// BatchNorm2d and Dropout: the layers whose training and evaluation differ, their state
// (running statistics, random stream) and gradient checks through them.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "nn/batch_norm.h"
#include "nn/dropout.h"
#include "tests/gradcheck.h"
#include "tests/module_helpers.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::gradcheck_layer;
using trit::testing::random_input;

namespace {

// Mean and biased variance of channel c of x [N, C, H, W], in double.
std::pair<double, double> channel_moments(const Tensor& x, int64_t c) {
  const int64_t n = x.size(0), channels = x.size(1), plane = x.size(2) * x.size(3);
  double sum = 0, sum_sq = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < plane; ++j) {
      const double v = x.data()[(i * channels + c) * plane + j];
      sum += v;
      sum_sq += v * v;
    }
  const double m = double(n * plane), mean = sum / m;
  return {mean, sum_sq / m - mean * mean};
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("BatchNorm2d normalises with batch statistics and tracks running ones") {
    nn::BatchNorm2d bn(3);
    CHECK(bn.repr() == "BatchNorm2d(3)");
    CHECK(bn.num_parameters() == 6);
    CHECK(bn.named_buffers().size() == 2);
    CHECK(bn.running_var().to_vector() == std::vector<float>{1, 1, 1});
    Tensor x = random_input({4, 3, 2, 2}, 1, 2.0f);
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] += 0.5f;

    const Tensor y = bn(x);
    for (int64_t c = 0; c < 3; ++c) {
      CAPTURE(c);
      const auto [out_mean, out_var] = channel_moments(y, c);
      CHECK(out_mean == doctest::Approx(0.0).scale(1.0).epsilon(1e-5));
      CHECK(out_var == doctest::Approx(1.0).epsilon(1e-3));
      const auto [mean, var] = channel_moments(x, c);
      CHECK(bn.running_mean().data()[c] == doctest::Approx(0.1 * mean).epsilon(1e-5));
      CHECK(bn.running_var().data()[c] == doctest::Approx(0.9 + 0.1 * var * 16 / 15).epsilon(1e-5));
    }

    // Evaluation: (x - running_mean) / sqrt(running_var + eps) * weight + bias, stats unchanged.
    bn.weight().data()[1] = 2.0f;
    bn.bias().data()[2] = -1.0f;
    bn.eval();
    const std::vector<float> mean_before = bn.running_mean().to_vector();
    const Tensor z = bn(x);
    CHECK(bn.running_mean().to_vector() == mean_before);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / 4) % 3;
      const double want = (x.data()[i] - bn.running_mean().data()[c]) /
                              std::sqrt(double(bn.running_var().data()[c]) + 1e-5) *
                              bn.weight().data()[c] +
                          bn.bias().data()[c];
      CHECK(z.data()[i] == doctest::Approx(want).epsilon(1e-5));
    }
    CHECK_THROWS_WITH_AS(bn(Tensor::zeros({4, 3})),
                         "BatchNorm2d: input [4,3] must be 4-d [N,C,H,W]", Error);
  }

  TEST_CASE("BatchNorm2d backward matches finite differences in training and evaluation") {
    nn::BatchNorm2d bn(2);
    bn.weight().data()[0] = 1.5f;
    bn.bias().data()[1] = 0.3f;
    const Tensor x = random_input({3, 2, 2, 3}, 3);
    gradcheck_layer(bn, x);
    bn.eval();
    gradcheck_layer(bn, x);
  }

  TEST_CASE("BatchNorm2d running statistics survive a state dict round trip") {
    nn::BatchNorm2d a(2), b(2);
    const Tensor x = random_input({4, 2, 3, 3}, 4);
    NoGradGuard no_grad;
    for (int i = 0; i < 3; ++i) a(x);
    a.eval();
    b.eval();
    CHECK(a(x).to_vector() != b(x).to_vector());
    b.load_state_dict(a.state_dict());
    CHECK(a(x).to_vector() == b(x).to_vector());
  }

  TEST_CASE("Dropout zeroes and rescales in training, passes through in evaluation") {
    nn::Dropout dropout(0.25f, 42);
    CHECK(dropout.repr() == "Dropout(p=0.25)");
    CHECK(dropout.parameters().empty());
    const Tensor x = Tensor::ones({4000});
    const std::vector<float> y = dropout(x).to_vector();
    int64_t dropped = 0;
    for (float v : y) {
      CHECK((v == 0.0f || v == doctest::Approx(1.0f / 0.75f)));
      dropped += v == 0.0f;
    }
    CHECK(double(dropped) / 4000 == doctest::Approx(0.25).epsilon(0.1));
    CHECK(dropout(x).to_vector() != y);  // the stream moves on
    dropout.eval();
    const Rng::State before = dropout.rng_state();
    CHECK(dropout(x).is_same(x));
    CHECK(dropout.rng_state() == before);  // evaluation draws nothing
    CHECK(nn::Dropout(0.0f, 1)(x).is_same(x));
    CHECK_THROWS_WITH_AS(nn::Dropout(1.0f, 1), "Dropout: p = 1.000000 is outside [0, 1)", Error);
  }

  TEST_CASE("Dropout masks come from its seed and resume from its state dict") {
    nn::Dropout a(0.5f, 7), b(0.5f, 7), c(0.5f, 8);
    const Tensor x = random_input({64}, 9);
    NoGradGuard no_grad;
    const std::vector<float> first = a(x).to_vector();
    CHECK(b(x).to_vector() == first);
    CHECK(c(x).to_vector() != first);
    c.load_state_dict(a.state_dict());  // c takes over a's stream
    const std::vector<float> second = a(x).to_vector();
    CHECK(c(x).to_vector() == second);
    CHECK(second != first);
  }

  TEST_CASE("Dropout backward matches finite differences under a fixed mask") {
    nn::Dropout dropout(0.3f, 11);
    const nn::StateDict start = dropout.state_dict();
    nn::StateDict saved;
    for (const auto& [name, t] : start) saved[name] = t.clone();
    gradcheck(
        [&](const std::vector<Tensor>& in) {
          dropout.load_state_dict(saved);  // the same mask at every evaluation
          return dropout(in[0]);
        },
        {random_input({5, 6}, 12)});
  }
}
