// The tape's contract: accumulation, reuse of a tensor, writing gradients, release, errors,
// no-grad scope, printing.
#include <doctest/doctest.h>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/arithmetic.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/reduce.h"
#include "tests/gradcheck.h"

using namespace trit;

TEST_SUITE("autograd") {
  TEST_CASE("a tensor used twice receives both gradient contributions") {
    Tensor x = Tensor::from({2}, {3.0f, -2.0f}).set_requires_grad();
    Tensor y = x * x + x;  // dy/dx = 2x + 1
    backward(y, Tensor::ones({2}));
    CHECK(x.grad().data()[0] == doctest::Approx(7.0f));
    CHECK(x.grad().data()[1] == doctest::Approx(-3.0f));
  }

  TEST_CASE("leaf gradients accumulate across backward calls until zero_grad") {
    Tensor x = Tensor::from({1}, {2.0f}).set_requires_grad();
    (x * 3.0f).backward();
    (x * 3.0f).backward();
    CHECK(x.grad().item() == doctest::Approx(6.0f));
    x.zero_grad();
    CHECK_FALSE(x.has_grad());
  }

  TEST_CASE("grad_buffer creates a zero gradient once, then hands out the existing one") {
    Tensor x = Tensor::from({2}, {1.0f, 2.0f}).set_requires_grad();
    float* created = grad_buffer(x);
    CHECK(x.grad().to_vector() == std::vector<float>{0.0f, 0.0f});
    created[0] += 5.0f, created[1] += 6.0f;  // the caller adds its contribution
    CHECK(grad_buffer(x) == created);
    CHECK(x.grad().to_vector() == std::vector<float>{5.0f, 6.0f});
  }

  TEST_CASE("grad_buffer with fresh skips the zero fill of a new gradient only") {
    Tensor x = Tensor::from({2}, {1.0f, 2.0f}).set_requires_grad();
    bool fresh = false;
    float* created = grad_buffer(x, &fresh);
    CHECK(fresh);
    created[0] = 5.0f, created[1] = 6.0f;  // the caller writes a new gradient
    const float* again = grad_buffer(x, &fresh);
    CHECK_FALSE(fresh);
    CHECK(again == created);
    CHECK(x.grad().to_vector() == std::vector<float>{5.0f, 6.0f});
    x.zero_grad();
    grad_buffer(x, &fresh);
    CHECK(fresh);
  }

  TEST_CASE("add_grad shares a first gradient's storage, then adds") {
    const Tensor x = Tensor::zeros({3});
    const Tensor first = Tensor::from({3}, {1.0f, 2.0f, 3.0f});
    add_grad(x, first);
    CHECK(x.grad().data() == first.data());  // stolen, not copied
    add_grad(x, Tensor::full({3}, 0.5f));
    CHECK(x.grad().to_vector() == std::vector<float>{1.5f, 2.5f, 3.5f});
    CHECK_THROWS_AS(add_grad(x, Tensor::zeros({2})), Error);
  }

  TEST_CASE("backward releases the tape; a second backward on the graph is an error") {
    Tensor x = Tensor::from({1}, {2.0f}).set_requires_grad();
    Tensor loss = x * x;
    CHECK(tape_size() == 1);
    loss.backward();
    CHECK(tape_size() == 0);
    CHECK_THROWS_AS(loss.backward(), Error);
  }

  TEST_CASE("tape_string lists each recorded op with its input and output shapes, in order") {
    clear_tape();
    const Tensor a = Tensor::ones({2, 3}).set_requires_grad();
    const Tensor b = Tensor::ones({2, 3}).set_requires_grad();
    const Tensor loss = sum(add(a, b));
    CHECK(tape_string() == "add([2,3], [2,3]) -> [2,3]\nsum([2,3]) -> []\n");
    const Tensor scaled = mean(reshape(loss * Tensor::from({3}, {1, 2, 3}), {1, 3}), {1}, false);
    CHECK(tape_string() ==
          "add([2,3], [2,3]) -> [2,3]\nsum([2,3]) -> []\nmul([], [3]) -> [3]\n"
          "reshape([3]) -> [1,3]\nmean([1,3]) -> [1]\n");
    scaled.backward();
    CHECK(tape_string().empty());  // released with the tape
  }

  TEST_CASE("intermediate gradients are released, leaf gradients kept") {
    Tensor x = Tensor::from({1}, {2.0f}).set_requires_grad();
    Tensor h = x * 2.0f;
    Tensor loss = h * h;
    loss.backward();
    CHECK(x.has_grad());
    CHECK_FALSE(h.has_grad());
  }

  TEST_CASE("NoGradGuard records nothing and restores the mode") {
    Tensor x = Tensor::from({1}, {2.0f}).set_requires_grad();
    {
      NoGradGuard guard;
      Tensor y = x * x;
      CHECK_FALSE(y.requires_grad());
      CHECK(tape_size() == 0);
    }
    CHECK(grad_enabled());
    Tensor y = x * x;
    CHECK(y.requires_grad());
    clear_tape();
  }

  TEST_CASE("backward needs a one-element loss that requires grad") {
    Tensor x = Tensor::from({2}, {1.0f, 2.0f}).set_requires_grad();
    Tensor y = x * x;
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("one element"), Error);
    Tensor c = Tensor::scalar(1.0f);
    CHECK_THROWS_AS(c.backward(), Error);
    clear_tape();
  }

  TEST_CASE("reshape views share storage; clone does not") {
    Tensor x = Tensor::from({2, 2}, {1, 2, 3, 4});
    Tensor v = x.view({4});
    v.data()[0] = 9.0f;
    CHECK(x.data()[0] == 9.0f);
    Tensor c = x.clone();
    c.data()[0] = 0.0f;
    CHECK(x.data()[0] == 9.0f);
    CHECK_THROWS_AS(x.view({3}), Error);
  }

  TEST_CASE("Rng is reproducible and its state round-trips") {
    Rng a(42), b(42);
    for (int i = 0; i < 10; ++i) CHECK(a.next_u64() == b.next_u64());
    const Rng::State saved = a.state();
    const float first = a.normal();
    a.set_state(saved);
    CHECK(a.normal() == first);
    double mean = 0.0;
    for (int i = 0; i < 20000; ++i) mean += a.normal();
    CHECK(std::abs(mean / 20000) < 0.03);
  }
}
