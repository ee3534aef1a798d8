// sum, mean, max, argmax: values, keepdim and axes variants, gradients, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/reduce.h"
#include "autograd/random.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

namespace {
// [2,3,4] holding 0..23, the running example.
Tensor iota234() {
  std::vector<float> v(24);
  std::iota(v.begin(), v.end(), 0.0f);
  return Tensor::from({2, 3, 4}, v);
}

// A shuffled 0.05-spaced ramp: no two elements within a finite-difference step, so max is
// differentiable everywhere in the check.
Tensor distinct_input(const Shape& shape, uint64_t seed) {
  Tensor x = Tensor::empty(shape);
  std::vector<float> v(x.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * static_cast<float>(i);
  Rng rng(seed);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
  std::copy(v.begin(), v.end(), x.data());
  x.set_requires_grad(true);
  return x;
}
}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("sum and mean over all elements give 0-d tensors") {
    const Tensor x = iota234();
    CHECK(sum(x).shape() == Shape{});
    CHECK(sum(x).item() == 276.0f);
    CHECK(mean(x).item() == doctest::Approx(11.5f));
    CHECK(sum(Tensor::zeros({0, 3})).item() == 0.0f);
    CHECK(std::isnan(mean(Tensor::zeros({0, 3})).item()));
    CHECK(sum(Tensor::scalar(2.5f)).item() == 2.5f);
  }

  TEST_CASE("sum and mean over chosen axes") {
    const Tensor x = iota234();
    SUBCASE("axis 0") {
      const Tensor s = sum(x, {0});
      CHECK(s.shape() == Shape{3, 4});
      CHECK(s.data()[0] == 12.0f);   // 0 + 12
      CHECK(s.data()[11] == 34.0f);  // 11 + 23
    }
    SUBCASE("last axis, negative, keepdim") {
      const Tensor s = sum(x, {-1}, true);
      CHECK(s.shape() == Shape{2, 3, 1});
      CHECK(s.to_vector() == std::vector<float>{6, 22, 38, 54, 70, 86});
    }
    SUBCASE("two separated axes") {
      const Tensor s = sum(x, {0, 2});
      CHECK(s.shape() == Shape{3});
      CHECK(s.to_vector() == std::vector<float>{60, 92, 124});  // (0..3)+(12..15), ...
      CHECK(sum(x, {2, 0}, true).shape() == Shape{1, 3, 1});
    }
    SUBCASE("middle axis, mean") {
      const Tensor m = mean(x, {1});
      CHECK(m.shape() == Shape{2, 4});
      CHECK(m.data()[0] == doctest::Approx(4.0f));   // (0 + 4 + 8) / 3
      CHECK(m.data()[7] == doctest::Approx(19.0f));  // (15 + 19 + 23) / 3
    }
    SUBCASE("every axis listed equals the full reduction") {
      CHECK(sum(x, {0, 1, 2}).item() == sum(x).item());
      CHECK(mean(x, {2, 1, 0}, true).shape() == Shape{1, 1, 1});
    }
    SUBCASE("no axes reduces nothing") {
      CHECK(sum(x, {}).to_vector() == x.to_vector());
      CHECK(sum(x, {}).shape() == x.shape());
    }
    SUBCASE("an empty reduced axis gives zeros") {
      CHECK(sum(Tensor::zeros({0, 3}), {0}).to_vector() == std::vector<float>{0, 0, 0});
      CHECK(sum(Tensor::zeros({2, 0}), {0}).shape() == Shape{0});
    }
  }

  TEST_CASE("sum and mean backward match finite differences") {
    const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
        {{5}, {0}},       {{3, 4}, {0}},       {{3, 4}, {-1}}, {{2, 3, 4}, {0, 2}},
        {{2, 3, 4}, {1}}, {{2, 1, 4}, {1, 2}}, {{3, 4}, {}},   {{2, 3, 2, 2}, {0, 2, 3}},
    };
    for (const auto& c : cases) {
      const std::vector<int64_t> axes = c.second;
      CAPTURE(to_string(c.first));
      CAPTURE(to_string(axes));
      const Tensor x = random_input(c.first, 4);
      for (bool keepdim : {false, true}) {
        CAPTURE(keepdim);
        gradcheck([&](const std::vector<Tensor>& in) { return sum(in[0], axes, keepdim); }, {x});
        gradcheck([&](const std::vector<Tensor>& in) { return mean(in[0], axes, keepdim); }, {x});
      }
    }
    const Tensor x = random_input({3, 5}, 5);
    gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {x});
    gradcheck([](const std::vector<Tensor>& in) { return mean(in[0]); }, {x});
  }

  TEST_CASE("max along an axis: values, keepdim and the first of tied maxima") {
    const Tensor x = iota234();
    CHECK(max(x, 1).to_vector() == std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23});
    CHECK(max(x, -1, true).shape() == Shape{2, 3, 1});
    CHECK(max(x, 0).shape() == Shape{3, 4});

    Tensor tied = Tensor::from({2, 3}, {5, 1, 5, 2, 7, 7}).set_requires_grad();
    const Tensor m = max(tied, 1);
    CHECK(m.to_vector() == std::vector<float>{5, 7});
    backward(m, Tensor::from({2}, {10, 20}));
    CHECK(tied.grad().to_vector() == std::vector<float>{10, 0, 0, 0, 20, 0});
  }

  TEST_CASE("max backward matches finite differences away from ties") {
    for (const Shape& shape : {Shape{7}, Shape{4, 5}, Shape{3, 4, 5}}) {
      CAPTURE(to_string(shape));
      const Tensor x = distinct_input(shape, 6);
      for (int64_t axis = -static_cast<int64_t>(shape.size()); axis < 0; ++axis) {
        CAPTURE(axis);
        gradcheck([axis](const std::vector<Tensor>& in) { return max(in[0], axis); }, {x});
        gradcheck([axis](const std::vector<Tensor>& in) { return max(in[0], axis, true); }, {x});
      }
    }
  }

  TEST_CASE("argmax gives the predicted class of each row") {
    const Tensor logits = Tensor::from({3, 4}, {0.1f, 2.0f, -1.0f, 0.5f,  //
                                                3.0f, 3.0f, 1.0f, 0.0f,   //
                                                -5.f, -4.f, -3.f, -2.5f});
    CHECK(argmax(logits, -1) == std::vector<int64_t>{1, 0, 3});
    CHECK(argmax(logits, 0) == std::vector<int64_t>{1, 1, 1, 0});
  }

  TEST_CASE("reductions reject bad axes naming the op and shape") {
    const Tensor x = Tensor::zeros({2, 3});
    CHECK_THROWS_WITH_AS(sum(x, {2}), "sum: axis 2 out of range for [2,3]", Error);
    CHECK_THROWS_WITH_AS(mean(x, {-3}), "mean: axis -3 out of range for [2,3]", Error);
    CHECK_THROWS_WITH_AS(sum(x, {1, -1}), "sum: axis -1 given twice for [2,3]", Error);
    CHECK_THROWS_WITH_AS(max(x, 5), "max: axis 5 out of range for [2,3]", Error);
    CHECK_THROWS_WITH_AS(max(Tensor::zeros({0, 3}), 0), "max: axis 0 of [0,3] is empty", Error);
    CHECK_THROWS_WITH_AS(argmax(Tensor::scalar(1.0f), 0), "argmax: axis 0 out of range for []",
                         Error);
  }
}
