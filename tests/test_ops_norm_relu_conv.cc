// norm_relu_conv2d and the channel buffer of memory-efficient dense blocks: equal to
// batch_norm -> relu (-> square) -> conv2d and to concat, gradient checks through a two-layer dense
// block written in place, and argument errors.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/fused/channel_buffer.h"
#include "autograd/fused/norm_relu_conv.h"
#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/batch_norm.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/unary.h"
#include "tests/gradcheck.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::random_input;

namespace {

// Batch-norm state for `channels` channels: weight away from 0, trainable weight and bias,
// non-trivial running statistics.
BatchNormState norm_state(int64_t channels, bool training, uint64_t seed) {
  Rng rng(seed);
  BatchNormState s{Tensor::uniform({channels}, 0.5f, 1.5f, rng),
                   Tensor::uniform({channels}, -0.3f, 0.3f, rng),
                   Tensor::uniform({channels}, -0.2f, 0.2f, rng),
                   Tensor::uniform({channels}, 0.5f, 2.0f, rng),
                   training,
                   0.2f,
                   1e-4f,
                   {}};
  s.weight.set_requires_grad(true);
  s.bias.set_requires_grad(true);
  return s;
}

// The same state with its own tensors (running statistics evolve separately).
BatchNormState copy_of(const BatchNormState& s) {
  BatchNormState c = s;
  c.weight = s.weight.clone().set_requires_grad(true);
  c.bias = s.bias.clone().set_requires_grad(true);
  c.running_mean = s.running_mean.clone();
  c.running_var = s.running_var.clone();
  return c;
}

void check_same(const Tensor& got, const Tensor& want, double eps = 1e-5) {
  REQUIRE(got.shape() == want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    CAPTURE(i);
    REQUIRE(got.data()[i] == doctest::Approx(want.data()[i]).epsilon(eps));
  }
}

struct Case {
  Shape x;
  int64_t channels, out_channels, kernel, padding;
};

const Case kCases[] = {
    {{3, 7, 5, 6}, 5, 4, 1, 0},   // 1x1 on a prefix (a dense layer's bottleneck)
    {{2, 6, 4, 8}, 6, 3, 3, 1},   // 3x3 on all channels (a plain dense layer)
    {{2, 9, 4, 4}, 4, 16, 1, 0},  // pointwise plane of 16 pixels
};

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("norm_relu_conv2d equals batch_norm, relu (squared or not) and conv2d on the prefix") {
    for (const Case& c : kCases)
      for (bool training : {true, false})
        for (NormReluInput input : {NormReluInput::kPlain, NormReluInput::kSquared}) {
          CAPTURE(to_string(c.x));
          CAPTURE(training);
          CAPTURE(input == NormReluInput::kSquared);
          const Tensor x = random_input(c.x, 1, 2.0f);
          const Tensor x2 = x.clone().set_requires_grad(true);
          const BatchNormState a = norm_state(c.channels, training, 2), b = copy_of(a);
          const Tensor w = random_input({c.out_channels, c.channels, c.kernel, c.kernel}, 3, 0.3f);
          const Tensor w2 = w.clone().set_requires_grad(true);
          const Conv2dOptions options{1, c.padding, 1};

          Rng rng(4);
          const Tensor fused = norm_relu_conv2d(x, c.channels, a, w, options, nullptr, input);
          const Tensor r = Tensor::normal(fused.shape(), 0.0f, 1.0f, rng);
          backward(fused, r);
          Tensor running_mean = b.running_mean, running_var = b.running_var;
          Tensor h = relu(batch_norm(slice(x2, 1, 0, c.channels), b.weight, b.bias, running_mean,
                                     running_var, training, b.momentum, b.eps));
          if (input == NormReluInput::kSquared) h = square(h);
          const Tensor plain = conv2d(h, w2, Tensor(), options);
          backward(plain, r);
          check_same(fused, plain);
          check_same(a.running_mean, b.running_mean);
          check_same(a.running_var, b.running_var);
          check_same(x.grad(), x2.grad());  // zeros past the prefix on both sides
          check_same(a.weight.grad(), b.weight.grad());
          check_same(a.bias.grad(), b.bias.grad());
          check_same(w.grad(), w2.grad());
        }
  }

  TEST_CASE("norm_relu_conv2d backward matches finite differences (inputs and parameters)") {
    for (bool training : {true, false})
      for (NormReluInput input : {NormReluInput::kPlain, NormReluInput::kSquared}) {
        CAPTURE(training);
        CAPTURE(input == NormReluInput::kSquared);
        const BatchNormState s = norm_state(3, training, 5);
        const Tensor x = random_input({2, 5, 3, 4}, 6), w = random_input({2, 3, 3, 3}, 7, 0.5f);
        // h^2 doubles the outputs' size and so the float rounding in the loss: a larger step
        // keeps its share of the central difference below the tolerance.
        testing::GradcheckOptions squared_step;
        if (input == NormReluInput::kSquared) squared_step.eps = 4e-3f;
        gradcheck(
            [&](const std::vector<Tensor>& in) {
              BatchNormState t = s;
              t.weight = in[1];
              t.bias = in[2];
              return norm_relu_conv2d(in[0], 3, t, in[3], {1, 1, 1}, nullptr, input);
            },
            {x, s.weight, s.bias, w}, squared_step);
      }
  }

  TEST_CASE("norm_relu_conv2d computes each channel's batch statistics once when shared") {
    const Tensor x = random_input({3, 6, 4, 4}, 16);
    const Tensor w3 = random_input({2, 3, 1, 1}, 17), w5 = random_input({2, 5, 1, 1}, 18);
    const BatchNormState a3 = norm_state(3, true, 19), a5 = norm_state(5, true, 20);
    const BatchNormState b3 = copy_of(a3), b5 = copy_of(a5);
    const auto shared = std::make_shared<ChannelStatistics>();
    const Tensor y3 = norm_relu_conv2d(x, 3, a3, w3, {}, shared);
    CHECK(shared->mean.size() == 3);
    const Tensor y5 = norm_relu_conv2d(x, 5, a5, w5, {}, shared);
    CHECK(shared->mean.size() == 5);
    shared->mean[0] += 1.0f;  // proof that the next call reads channel 0's mean from here
    const Tensor shifted = norm_relu_conv2d(x, 3, copy_of(a3), w3, {}, shared);
    clear_tape();
    check_same(y3, norm_relu_conv2d(x, 3, b3, w3));
    check_same(y5, norm_relu_conv2d(x, 5, b5, w5));
    check_same(a5.running_mean, b5.running_mean);
    check_same(a5.running_var, b5.running_var);
    CHECK(shifted.to_vector() != y3.to_vector());
    clear_tape();
  }

  TEST_CASE("norm_relu_conv2d values and gradients are bit-identical for any thread count") {
    // 8 images, 12 of 14 channels of 16 x 16, a 3x3 conv: several image chunks.
    const int default_threads = kernels::num_threads();
    const auto run = [default_threads](int threads) {
      kernels::set_num_threads(threads);
      const Tensor x = random_input({8, 14, 16, 16}, 21);
      const BatchNormState s = norm_state(12, true, 22);
      const Tensor w = random_input({8, 12, 3, 3}, 23, 0.3f);
      const Tensor y = norm_relu_conv2d(x, 12, s, w, {1, 1, 1});
      Rng rng(24);
      backward(y, Tensor::normal(y.shape(), 0.0f, 1.0f, rng));
      kernels::set_num_threads(default_threads);
      return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(),
                                             w.grad().to_vector(), s.weight.grad().to_vector(),
                                             s.bias.grad().to_vector()};
    };
    CHECK(run(1) == run(2));
  }

  TEST_CASE("a channel buffer written in place holds the concatenation and routes gradients") {
    const Tensor x = random_input({2, 3, 2, 3}, 8), y1 = random_input({2, 2, 2, 3}, 9);
    const Tensor y2 = random_input({2, 1, 2, 3}, 10);
    Tensor buffer = channel_buffer(x, 6);
    write_channels(buffer, y1, 3);
    write_channels(buffer, y2, 5);
    const Tensor want = concat({x, y1, y2}, 1);
    CHECK(buffer.to_vector() == want.to_vector());
    clear_tape();
    gradcheck(
        [](const std::vector<Tensor>& in) {
          Tensor b = channel_buffer(in[0], 6);
          write_channels(b, in[1], 3);
          write_channels(b, in[2], 5);
          return b;
        },
        {x, y1, y2});
  }

  TEST_CASE("a two-layer dense block on a channel buffer matches finite differences") {
    // Each layer reads every channel written so far and appends its own, as DenseBlock does;
    // with shared statistics the layers owe the buffer's bands part of their gradients.
    const BatchNormState n1 = norm_state(3, true, 11), n2 = norm_state(5, true, 12);
    const Tensor x = random_input({2, 3, 3, 3}, 13);
    const Tensor w1 = random_input({2, 3, 3, 3}, 14, 0.5f), w2 = random_input({2, 5, 1, 1}, 15);
    for (bool share : {false, true}) {
      CAPTURE(share);
      gradcheck(
          [&](const std::vector<Tensor>& in) {
            const auto shared = share ? std::make_shared<ChannelStatistics>() : nullptr;
            BatchNormState s1 = n1, s2 = n2;
            s1.weight = in[3];
            s2.bias = in[4];
            Tensor b = channel_buffer(in[0], 7, shared);
            write_channels(b, norm_relu_conv2d(b, 3, s1, in[1], {1, 1, 1}, shared), 3, shared);
            write_channels(b, norm_relu_conv2d(b, 5, s2, in[2], {}, shared), 5, shared);
            return b;
          },
          {x, w1, w2, n1.weight, n2.bias});
    }
  }

  TEST_CASE("norm_relu_conv2d and the channel buffer reject bad shapes, naming them") {
    const Tensor x = Tensor::zeros({2, 8, 4, 4});
    const BatchNormState s = norm_state(12, true, 1);
    CHECK_THROWS_WITH_AS(norm_relu_conv2d(x, 12, s, Tensor::zeros({4, 12, 1, 1})),
                         "norm_relu_conv2d: 12 channels of input [2,8,4,4]", Error);
    CHECK_THROWS_WITH_AS(
        norm_relu_conv2d(x, 6, norm_state(5, true, 1), Tensor::zeros({4, 6, 1, 1})),
        "norm_relu_conv2d: batch-norm tensor [5] for 6 channels of input [2,8,4,4]", Error);
    CHECK_THROWS_WITH_AS(
        norm_relu_conv2d(x, 5, norm_state(5, true, 1), Tensor::zeros({4, 6, 1, 1})),
        "norm_relu_conv2d: weight [4,6,1,1] with groups 1 for 5 channels of input [2,8,4,4]",
        Error);
    CHECK_THROWS_WITH_AS(channel_buffer(x, 7),
                         "channel_buffer: 7 channels cannot hold input [2,8,4,4]", Error);
    Tensor buffer = channel_buffer(x, 10);
    CHECK_THROWS_WITH_AS(write_channels(buffer, Tensor::zeros({2, 4, 4, 4}), 8),
                         "write_channels: band [8, 12) of buffer [2,10,4,4] for y [2,4,4,4] is "
                         "out of range",
                         Error);
    CHECK_THROWS_WITH_AS(write_channels(buffer, Tensor::zeros({2, 1, 4, 5}), 8),
                         "write_channels: band [8, 9) of buffer [2,10,4,4] for y [2,1,4,5]: sizes "
                         "differ outside the channels",
                         Error);
  }
}
