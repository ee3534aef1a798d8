// softmax, log_softmax and cross_entropy: hand-computed values, extreme logits,
// finite-difference gradients along every axis, and label errors.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/loss.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

TEST_SUITE("ops") {
  TEST_CASE("3-class cross-entropy equals the hand computation") {
    // Row 0: -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2) = 0.40760596...
    // Row 1: -log(e^0.5 / (e^0.5 + e^-1 + e^2)).
    Tensor logits = Tensor::from({2, 3}, {1.0f, 2.0f, 3.0f, 0.5f, -1.0f, 2.0f});
    logits.set_requires_grad();
    const double row0 = std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));
    const double row1 = std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0)) - 0.5;
    CHECK(row0 == doctest::Approx(0.4076059644).epsilon(1e-9));
    const Tensor loss = cross_entropy(logits, {2, 0});
    CHECK(loss.shape() == Shape{});
    CHECK(loss.item() == doctest::Approx((row0 + row1) / 2).epsilon(1e-6));

    backward(loss);  // (softmax - onehot) / N
    const double z0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    const double z1 = std::exp(0.5) + std::exp(-1.0) + std::exp(2.0);
    const std::vector<double> want = {std::exp(1.0) / z0 / 2,       std::exp(2.0) / z0 / 2,
                                      (std::exp(3.0) / z0 - 1) / 2, (std::exp(0.5) / z1 - 1) / 2,
                                      std::exp(-1.0) / z1 / 2,      std::exp(2.0) / z1 / 2};
    for (size_t i = 0; i < want.size(); ++i) {
      CAPTURE(i);
      CHECK(logits.grad().data()[i] == doctest::Approx(want[i]).epsilon(1e-6));
    }
  }

  TEST_CASE("softmax rows sum to 1 and log_softmax is its logarithm") {
    const Tensor x = random_input({3, 4, 5}, 41, 2.0f);
    for (int64_t axis : {0, 1, 2, -1}) {
      CAPTURE(axis);
      const Tensor p = softmax(x, axis), lp = log_softmax(x, axis);
      REQUIRE(p.shape() == x.shape());
      for (int64_t i = 0; i < x.numel(); ++i)
        CHECK(lp.data()[i] == doctest::Approx(std::log(p.data()[i])).epsilon(1e-5));
    }
    const Tensor p = softmax(x, 1);  // [3,4,5]: sum over the middle axis
    for (int64_t o = 0; o < 3; ++o)
      for (int64_t j = 0; j < 5; ++j) {
        double total = 0.0;
        for (int64_t k = 0; k < 4; ++k) total += p.data()[(o * 4 + k) * 5 + j];
        CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
      }
  }

  TEST_CASE("logits 1000 apart give finite, exact results") {
    Tensor logits = Tensor::from({2, 2}, {0.0f, 1000.0f, 1000.0f, -1000.0f}).set_requires_grad();
    const Tensor lp = log_softmax(logits);
    CHECK(lp.to_vector() == std::vector<float>{-1000.0f, 0.0f, 0.0f, -2000.0f});
    CHECK(softmax(logits).to_vector() == std::vector<float>{0.0f, 1.0f, 1.0f, 0.0f});
    const Tensor loss = cross_entropy(logits, {0, 0});  // (1000 + 0) / 2
    CHECK(loss.item() == 500.0f);
    backward(loss);
    CHECK(logits.grad().to_vector() == std::vector<float>{-0.5f, 0.5f, 0.0f, 0.0f});
  }

  TEST_CASE("softmax and log_softmax backward match finite differences along each axis") {
    const Tensor x = random_input({2, 3, 4}, 42);
    for (int64_t axis : {-1, 0, 1}) {
      CAPTURE(axis);
      gradcheck([axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {x});
      gradcheck([axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); }, {x});
    }
  }

  TEST_CASE("cross_entropy backward matches finite differences") {
    const Tensor logits = random_input({6, 5}, 43, 2.0f);
    const std::vector<int64_t> labels = {0, 4, 2, 2, 1, 3};
    gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], labels); },
              {logits});
  }

  TEST_CASE("cross_entropy rejects bad labels and shapes") {
    const Tensor logits = Tensor::zeros({4, 10});
    CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1, 2, 12}),
                         "cross_entropy: label 12 at index 3 out of range for 10 classes", Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, -1, 2, 3}),
                         "cross_entropy: label -1 at index 1 out of range for 10 classes", Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, {0, 1}), "cross_entropy: 2 labels for logits [4,10]",
                         Error);
    CHECK_THROWS_WITH_AS(cross_entropy(Tensor::zeros({4, 10, 2}), {0, 1, 2, 3}),
                         "cross_entropy: logits [4,10,2] are not [N,C]", Error);
    CHECK_THROWS_WITH_AS(softmax(Tensor::zeros({2, 3}), 2),
                         "softmax: axis 2 out of range for [2,3]", Error);
  }
}
