// Linear, Conv2d, pooling, ReLU, Flatten and Sequential: shapes, names, initial values,
// gradient checks through each layer (inputs and parameters), train/eval.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/ops/unary.h"
#include "nn/activation.h"
#include "nn/conv2d.h"
#include "nn/linear.h"
#include "nn/pool.h"
#include "nn/sequential.h"
#include "tests/gradcheck.h"
#include "tests/module_helpers.h"

using namespace trit;
using trit::testing::gradcheck_layer;
using trit::testing::random_input;

namespace {

// An input whose values are distinct multiples of 0.05 (no max-pool ties within the
// finite-difference step), permuted so that maxima fall anywhere in the windows.
Tensor distinct_input(const Shape& shape) {
  Tensor x = Tensor::empty(shape);
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i) x.data()[i] = 0.05f * static_cast<float>((i * 37) % n) - 1.0f;
  return x.set_requires_grad();
}

// Layers without a mode give the same output in training and evaluation.
void check_mode_independent(nn::Module& layer, const Tensor& x) {
  layer.train();
  const std::vector<float> trained = layer(x).to_vector();
  layer.eval();
  CHECK(layer(x).to_vector() == trained);
  layer.train();
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("Linear: shapes, PyTorch default initial values, gradients") {
    Rng rng(1);
    nn::Linear layer(5, 3, rng);
    CHECK(layer.repr() == "Linear(5, 3)");
    CHECK(layer.weight().shape() == Shape{3, 5});
    CHECK(layer.bias().shape() == Shape{3});
    CHECK(layer.num_parameters() == 18);
    const float bound = 1.0f / std::sqrt(5.0f);
    for (const Tensor& p : layer.parameters())
      for (float v : p.to_vector()) CHECK(std::abs(v) <= bound);
    Rng same(1);
    CHECK(nn::Linear(5, 3, same).weight().to_vector() == layer.weight().to_vector());

    const Tensor x = random_input({4, 5}, 2);
    CHECK(layer(x).shape() == Shape{4, 3});
    gradcheck_layer(layer, x);
    check_mode_independent(layer, x);

    nn::Linear no_bias(5, 2, rng, false);
    CHECK(no_bias.repr() == "Linear(5, 2, bias=false)");
    CHECK(no_bias.parameters().size() == 1);
    gradcheck_layer(no_bias, x);
    CHECK_THROWS_WITH_AS(layer(Tensor::zeros({4, 6})),
                         "linear: input [4,6] does not match weight [3,5]", Error);
  }

  TEST_CASE("Conv2d: shapes with stride and padding, initial values, gradients") {
    Rng rng(3);
    nn::Conv2d conv(2, 4, 3, rng, {2, 1, 1});
    CHECK(conv.repr() == "Conv2d(2, 4, kernel=3, stride=2, padding=1)");
    CHECK(conv.weight().shape() == Shape{4, 2, 3, 3});
    CHECK(conv.num_parameters() == 4 * 2 * 9 + 4);
    const float bound = 1.0f / std::sqrt(18.0f);  // fan_in = 2 * 3 * 3
    for (const Tensor& p : conv.parameters())
      for (float v : p.to_vector()) CHECK(std::abs(v) <= bound);

    const Tensor x = random_input({2, 2, 6, 5}, 4);
    CHECK(conv(x).shape() == Shape{2, 4, 3, 3});  // (6 + 2 - 3) / 2 + 1 = 3, (5 - 1) / 2 + 1
    gradcheck_layer(conv, x);
    check_mode_independent(conv, x);

    nn::Conv2d grouped(4, 2, 1, rng, {1, 0, 2}, false);
    CHECK(grouped.repr() == "Conv2d(4, 2, kernel=1, groups=2, bias=false)");
    CHECK(grouped.weight().shape() == Shape{2, 2, 1, 1});
    gradcheck_layer(grouped, random_input({1, 4, 3, 3}, 5));
    CHECK_THROWS_AS(nn::Conv2d(3, 4, 3, rng, {1, 0, 2}), Error);  // 3 channels, 2 groups
  }

  TEST_CASE("pooling layers: default stride, shapes, gradients") {
    nn::MaxPool2d max2(2);
    nn::AvgPool2d avg3(3, 2, 1);
    nn::GlobalAvgPool2d global;
    CHECK(max2.repr() == "MaxPool2d(2)");
    CHECK(avg3.repr() == "AvgPool2d(3, stride=2, padding=1)");
    const Tensor x = distinct_input({2, 3, 6, 6});
    CHECK(max2(x).shape() == Shape{2, 3, 3, 3});
    CHECK(avg3(x).shape() == Shape{2, 3, 3, 3});
    CHECK(global(x).shape() == Shape{2, 3});
    for (nn::Module* layer : {static_cast<nn::Module*>(&max2), static_cast<nn::Module*>(&avg3),
                              static_cast<nn::Module*>(&global)}) {
      CAPTURE(layer->repr());
      CHECK(layer->parameters().empty());
      gradcheck_layer(*layer, x);
      check_mode_independent(*layer, x);
    }
    CHECK_THROWS_AS(nn::MaxPool2d(0), Error);
  }

  TEST_CASE("ReLU and Flatten") {
    Tensor x = random_input({2, 3, 2, 2}, 6);
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] += x.data()[i] > 0 ? 0.1f : -0.1f;
    nn::ReLU relu;
    const Tensor y = relu(x);
    for (int64_t i = 0; i < x.numel(); ++i) CHECK(y.data()[i] == std::max(x.data()[i], 0.0f));
    gradcheck_layer(relu, x);
    nn::Flatten flatten, from_two(2);
    CHECK(flatten(x).shape() == Shape{2, 12});
    CHECK(from_two(x).shape() == Shape{2, 3, 4});
    CHECK(flatten(x).to_vector() == x.to_vector());
    gradcheck_layer(flatten, x);
  }

  TEST_CASE("Sequential chains its children and names them by position or by choice") {
    Rng rng(7);
    auto fc = std::make_shared<nn::Linear>(4, 3, rng);
    nn::Sequential net({std::make_shared<nn::Flatten>(), fc, std::make_shared<nn::ReLU>()});
    net.add("head", std::make_shared<nn::Linear>(3, 2, rng));
    CHECK(net.size() == 4);
    CHECK((net[1] == fc));
    std::vector<std::string> names;
    for (const auto& entry : net.named_parameters()) names.push_back(entry.first);
    CHECK(names == std::vector<std::string>{"1.weight", "1.bias", "head.weight", "head.bias"});

    const Tensor x = random_input({3, 2, 2}, 8);
    const Tensor manual = (*net[3])(relu((*fc)(x.view({3, 4}))));
    CHECK(net(x).to_vector() == manual.to_vector());
    gradcheck_layer(net, x);
    CHECK(nn::Sequential()(x).is_same(x));
  }
}
