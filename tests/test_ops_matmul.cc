// matmul and linear: known values, batching, gradient checks and shape errors.
#include <doctest/doctest.h>

#include <vector>

#include "autograd/error.h"
#include "autograd/ops/matmul.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::kLinearOpStep;
using trit::testing::random_input;

namespace {

// out[i,j] = sum_p a[i,p] b[p,j] for one [m,k] x [k,n] pair, in double.
std::vector<float> naive_product(const float* a, const float* b, int64_t m, int64_t k, int64_t n) {
  std::vector<float> out(size_t(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) acc += double(a[i * k + p]) * b[p * n + j];
      out[size_t(i * n + j)] = float(acc);
    }
  return out;
}

void check_close(const float* got, const std::vector<float>& want) {
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-5));
  }
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("matmul of small matrices gives hand-computed values") {
    const Tensor a = Tensor::from({2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor b = Tensor::from({3, 2}, {7, 8, 9, 10, 11, 12});
    const Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 2});
    CHECK(c.to_vector() == std::vector<float>{58, 64, 139, 154});
  }

  TEST_CASE("batched matmul multiplies each batch entry, or shares a 2-D b") {
    const Tensor a = random_input({2, 3, 4, 5}, 1);
    const Tensor b = random_input({2, 3, 5, 6}, 2);
    const Tensor shared = random_input({5, 6}, 3);
    const Tensor c = matmul(a, b), s = matmul(a, shared);
    clear_tape();
    CHECK(c.shape() == Shape{2, 3, 4, 6});
    CHECK(s.shape() == Shape{2, 3, 4, 6});
    for (int64_t i = 0; i < 6; ++i) {
      CAPTURE(i);
      check_close(c.data() + i * 24, naive_product(a.data() + i * 20, b.data() + i * 30, 4, 5, 6));
      check_close(s.data() + i * 24, naive_product(a.data() + i * 20, shared.data(), 4, 5, 6));
    }
  }

  TEST_CASE("matmul backward matches finite differences") {
    const auto f = [](const std::vector<Tensor>& x) { return matmul(x[0], x[1]); };
    SUBCASE("2-D") {
      gradcheck(f, {random_input({5, 7}, 1), random_input({7, 3}, 2)}, kLinearOpStep);
    }
    SUBCASE("batched") {
      gradcheck(f, {random_input({2, 3, 4, 5}, 3), random_input({2, 3, 5, 2}, 4)}, kLinearOpStep);
    }
    SUBCASE("shared b") {
      gradcheck(f, {random_input({3, 4, 5}, 5), random_input({5, 6}, 6)}, kLinearOpStep);
    }
    SUBCASE("only one operand requires grad") {
      Tensor constant = random_input({7, 3}, 8);
      constant.set_requires_grad(false);
      gradcheck(f, {random_input({5, 7}, 7), constant}, kLinearOpStep);
    }
  }

  TEST_CASE("linear is x W^T + b with PyTorch's weight layout") {
    const Tensor x = Tensor::from({2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor w = Tensor::from({2, 3}, {1, 0, -1, 2, 1, 0});  // [out=2, in=3]
    const Tensor b = Tensor::from({2}, {10, 20});
    CHECK(linear(x, w, b).to_vector() == std::vector<float>{8, 24, 8, 33});
    CHECK(linear(x, w).to_vector() == std::vector<float>{-2, 4, -2, 13});
    CHECK(linear(Tensor::zeros({0, 3}), w, b).shape() == Shape{0, 2});
  }

  TEST_CASE("linear backward matches finite differences for input, weight and bias") {
    const auto with_bias = [](const std::vector<Tensor>& t) { return linear(t[0], t[1], t[2]); };
    const auto no_bias = [](const std::vector<Tensor>& t) { return linear(t[0], t[1]); };
    gradcheck(with_bias, {random_input({6, 9}, 1), random_input({4, 9}, 2), random_input({4}, 3)},
              kLinearOpStep);
    gradcheck(no_bias, {random_input({6, 9}, 4), random_input({4, 9}, 5)}, kLinearOpStep);
    // Sizes past one micro-tile in every direction, batch 1 and bias-only gradients.
    gradcheck(with_bias,
              {random_input({13, 40}, 6), random_input({35, 40}, 7), random_input({35}, 8)},
              kLinearOpStep);
    Tensor x = random_input({1, 5}, 9);
    x.set_requires_grad(false);
    gradcheck(with_bias, {x, random_input({3, 5}, 10), random_input({3}, 11)}, kLinearOpStep);
  }

  TEST_CASE("matmul and linear shape errors name the op and the shapes") {
    const Tensor x = Tensor::zeros({64, 800});
    CHECK_THROWS_WITH_AS(matmul(x, Tensor::zeros({500, 10})),
                         "matmul: [64,800] x [500,10]: inner dimensions differ", Error);
    CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 5})),
                         "matmul: [2,3,4] x [3,4,5]: batch dimensions differ", Error);
    CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({3, 4}), Tensor::zeros({2, 4, 5})),
                         "matmul: [3,4] x [2,4,5]: batch dimensions differ", Error);
    CHECK_THROWS_WITH_AS(matmul(Tensor::zeros({4}), Tensor::zeros({4, 5})),
                         "matmul: [4] x [4,5]: operands need at least 2 dimensions", Error);
    CHECK_THROWS_WITH_AS(linear(x, Tensor::zeros({500, 799})),
                         "linear: input [64,800] does not match weight [500,799]", Error);
    CHECK_THROWS_WITH_AS(linear(Tensor::zeros({800}), Tensor::zeros({500, 800})),
                         "linear: input [800] does not match weight [500,800]", Error);
    CHECK_THROWS_WITH_AS(linear(x, Tensor::zeros({500, 800}), Tensor::zeros({499})),
                         "linear: bias [499] does not match weight [500,800]", Error);
    CHECK_THROWS_WITH_AS(linear(x, Tensor::zeros({800})),
                         "linear: weight [800] must be 2-D [out,in]", Error);
  }
}
