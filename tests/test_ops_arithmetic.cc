// add/sub/mul/div: values, broadcasting, gradient checks and shape errors.
#include <doctest/doctest.h>

#include "autograd/error.h"
#include "autograd/ops/arithmetic.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

TEST_SUITE("ops") {
  TEST_CASE("binary ops broadcast like NumPy") {
    const Tensor a = Tensor::from({2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor row = Tensor::from({3}, {10, 20, 30});
    const Tensor col = Tensor::from({2, 1}, {100, 200});
    CHECK((a + row).to_vector() == std::vector<float>{11, 22, 33, 14, 25, 36});
    CHECK((a - col).to_vector() == std::vector<float>{-99, -98, -97, -196, -195, -194});
    CHECK((row * col).shape() == Shape{2, 3});
    CHECK((row * col).to_vector() == std::vector<float>{1000, 2000, 3000, 2000, 4000, 6000});
    CHECK((a / 2.0f).to_vector() == std::vector<float>{0.5, 1, 1.5, 2, 2.5, 3});
    CHECK((1.0f - a).data()[5] == -5.0f);
  }

  TEST_CASE("binary op shape mismatch names the op and both shapes") {
    const Tensor a = Tensor::zeros({2, 3});
    const Tensor b = Tensor::zeros({4});
    CHECK_THROWS_WITH_AS(add(a, b), "add: [2,3] and [4]: shapes cannot be broadcast", Error);
    CHECK_THROWS_WITH_AS(mul(a, b), "mul: [2,3] and [4]: shapes cannot be broadcast", Error);
  }

  TEST_CASE("empty tensors flow through binary ops") {
    const Tensor a = Tensor::zeros({0, 3});
    CHECK((a + Tensor::ones({3})).shape() == Shape{0, 3});
  }

  TEST_CASE("binary ops backward matches finite differences under broadcasting") {
    const std::vector<std::pair<Shape, Shape>> cases = {
        {{3, 4}, {3, 4}}, {{3, 4}, {4}},       {{2, 3, 4}, {3, 1}},
        {{5}, {}},        {{2, 1, 4}, {3, 1}}, {{4, 3, 2, 2}, {1, 3, 1, 1}}};
    for (const auto& shapes : cases) {
      const Shape& sa = shapes.first;
      const Shape& sb = shapes.second;
      CAPTURE(to_string(sa));
      CAPTURE(to_string(sb));
      const Tensor a = random_input(sa, 1);
      Tensor b = random_input(sb, 2);
      for (int64_t i = 0; i < b.numel(); ++i) b.data()[i] += b.data()[i] > 0 ? 1.0f : -1.0f;
      gradcheck([](const std::vector<Tensor>& x) { return add(x[0], x[1]); }, {a, b});
      gradcheck([](const std::vector<Tensor>& x) { return sub(x[0], x[1]); }, {a, b});
      gradcheck([](const std::vector<Tensor>& x) { return mul(x[0], x[1]); }, {a, b});
      gradcheck([](const std::vector<Tensor>& x) { return div(x[0], x[1]); }, {a, b});
      gradcheck([](const std::vector<Tensor>& x) { return neg(x[0]); }, {a});
    }
  }
}
