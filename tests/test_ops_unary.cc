// Unary ops: values, finite-difference gradients away from kinks, saved tensors, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/unary.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

namespace {
// A random input with every |x| >= margin, so no element sits within eps of a kink at 0.
Tensor away_from_zero(const Shape& shape, uint64_t seed, float margin = 0.1f) {
  Tensor x = random_input(shape, seed);
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] += x.data()[i] >= 0 ? margin : -margin;
  return x;
}

Tensor positive(const Shape& shape, uint64_t seed) {
  Tensor x = random_input(shape, seed);
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = std::abs(x.data()[i]) + 0.2f;
  return x;
}
}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("unary ops compute their functions elementwise") {
    const Tensor x = Tensor::from({2, 2}, {-2.0f, -0.5f, 0.5f, 3.0f});
    const auto expect = [&](const Tensor& y, double (*f)(double)) {
      REQUIRE(y.shape() == x.shape());
      for (int64_t i = 0; i < x.numel(); ++i)
        CHECK(y.data()[i] == doctest::Approx(f(x.data()[i])).epsilon(1e-6));
    };
    expect(exp(x), [](double v) { return std::exp(v); });
    expect(square(x), [](double v) { return v * v; });
    expect(abs(x), [](double v) { return std::abs(v); });
    expect(relu(x), [](double v) { return v > 0 ? v : 0.0; });
    expect(sigmoid(x), [](double v) { return 1 / (1 + std::exp(-v)); });
    expect(tanh(x), [](double v) { return std::tanh(v); });
    expect(softplus(x), [](double v) { return std::log(1 + std::exp(v)); });
    expect(pow(x, 3.0f), [](double v) { return v * v * v; });
    expect(clamp(x, -1.0f, 1.0f), [](double v) { return v < -1 ? -1 : v > 1 ? 1 : v; });
    const Tensor p = abs(x);
    CHECK(log(p).data()[0] == doctest::Approx(std::log(2.0)).epsilon(1e-6));
    CHECK(sqrt(p).data()[3] == doctest::Approx(std::sqrt(3.0)).epsilon(1e-6));
  }

  TEST_CASE("unary ops backward match finite differences") {
    using Op = std::function<Tensor(const Tensor&)>;
    struct Case {
      const char* name;
      Op op;
      bool positive_only;
    };
    const Case cases[] = {
        {"exp", [](const Tensor& x) { return exp(x); }, false},
        {"log", [](const Tensor& x) { return log(x); }, true},
        {"sqrt", [](const Tensor& x) { return sqrt(x); }, true},
        {"square", [](const Tensor& x) { return square(x); }, false},
        {"pow 2.5", [](const Tensor& x) { return pow(x, 2.5f); }, true},
        {"pow -1", [](const Tensor& x) { return pow(x, -1.0f); }, true},
        {"pow 3", [](const Tensor& x) { return pow(x, 3.0f); }, false},
        {"abs", [](const Tensor& x) { return abs(x); }, false},
        {"relu", [](const Tensor& x) { return relu(x); }, false},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, false},
        {"tanh", [](const Tensor& x) { return tanh(x); }, false},
        {"softplus", [](const Tensor& x) { return softplus(x); }, false},
    };
    for (const Case& c : cases) {
      CAPTURE(std::string(c.name));
      for (const Shape& shape : {Shape{}, Shape{7}, Shape{3, 5, 2}}) {
        const Tensor x = c.positive_only ? positive(shape, 3) : away_from_zero(shape, 3);
        gradcheck([&c](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x});
      }
    }
  }

  TEST_CASE("clamp backward matches finite differences away from its bounds") {
    Tensor x = away_from_zero({4, 6}, 5);
    for (int64_t i = 0; i < x.numel(); ++i)  // keep every element 0.05 away from -0.5 and 1
      for (float bound : {-0.5f, 1.0f})
        if (std::abs(x.data()[i] - bound) < 0.05f) x.data()[i] = bound + 0.05f;
    gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], -0.5f, 1.0f); }, {x});
  }

  TEST_CASE("unary ops record backward only when the input requires grad") {
    const Tensor x = Tensor::from({2}, {1.0f, 2.0f});
    clear_tape();
    const Tensor y = relu(x);
    CHECK(tape_size() == 0);
    CHECK_FALSE(y.requires_grad());
    Tensor w = Tensor::from({2}, {1.0f, -2.0f}).set_requires_grad();
    {
      NoGradGuard no_grad;
      CHECK_FALSE(sigmoid(w).requires_grad());
    }
    backward(sigmoid(w) * tanh(w), Tensor::ones({2}));
    CHECK(w.has_grad());
  }

  TEST_CASE("relu and abs gradients at exactly 0 are 0, as in PyTorch") {
    Tensor x = Tensor::from({3}, {0.0f, 1.0f, -1.0f}).set_requires_grad();
    backward(relu(x) + abs(x), Tensor::ones({3}));
    CHECK(x.grad().to_vector() == std::vector<float>{0.0f, 2.0f, -1.0f});
  }

  TEST_CASE("sigmoid, softplus and their gradients stay finite at +-100") {
    Tensor x = Tensor::from({2}, {100.0f, -100.0f}).set_requires_grad();
    const Tensor s = sigmoid(x), sp = softplus(x);
    CHECK(s.data()[0] == 1.0f);
    CHECK(sp.data()[0] == 100.0f);
    for (const Tensor& tiny : {s, sp}) {  // both ~ e^-100 = 3.7e-44, a subnormal float
      CHECK(tiny.data()[1] > 3.5e-44f);
      CHECK(tiny.data()[1] < 3.9e-44f);
    }
    backward(s + sp, Tensor::ones({2}));
    CHECK(x.grad().data()[0] == 1.0f);  // sigmoid' ~ 0 plus softplus' = sigmoid = 1
    CHECK(std::isfinite(x.grad().data()[1]));
    CHECK(x.grad().data()[1] >= 0.0f);
  }

  TEST_CASE("clamp rejects lo > hi naming the op and shape") {
    CHECK_THROWS_WITH_AS(clamp(Tensor::zeros({2, 3}), 1.0f, -1.0f),
                         "clamp: lo 1 is greater than hi -1 for [2,3]", Error);
  }

  TEST_CASE("unary ops pass empty tensors through") {
    Tensor x = Tensor::zeros({0, 4}).set_requires_grad();
    const Tensor y = tanh(x);
    CHECK(y.shape() == Shape{0, 4});
    backward(y, Tensor::zeros({0, 4}));
  }
}
