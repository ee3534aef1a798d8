// Module: registration and dotted names, train/eval propagation, zero_grad, state dicts.
#include <doctest/doctest.h>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "nn/module.h"
#include "tests/module_helpers.h"

using namespace trit;
using trit::testing::Affine;
using trit::testing::ToyNet;

namespace {

std::vector<std::string> names(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& entry : named) out.push_back(entry.first);
  return out;
}

// A module that tries to register a bad name in its constructor.
struct BadNames : nn::Module {
  explicit BadNames(const std::string& second) : Module("BadNames") {
    register_parameter("weight", Tensor::zeros({1}));
    register_buffer(second, Tensor::zeros({1}));
  }
  Tensor forward(const Tensor& x) override { return x; }
};

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("parameters and buffers get dotted names, own first, children depth-first") {
    ToyNet net;
    CHECK(names(net.named_parameters()) == std::vector<std::string>{"features.0.weight",
                                                                    "features.0.bias",
                                                                    "head.weight", "head.bias"});
    CHECK(names(net.named_buffers()) == std::vector<std::string>{"features.1.calls"});
    CHECK(net.parameters().size() == 4);
    CHECK(net.num_parameters() == 12);
    for (const Tensor& p : net.parameters()) CHECK(p.requires_grad());
    CHECK_FALSE(net.named_buffers()[0].second.requires_grad());
    CHECK(net.parameters()[2].is_same(net.head->weight));

    std::vector<std::string> modules;
    for (const auto& [name, module] : net.named_modules())
      modules.push_back(name + ":" + module->type());
    CHECK(modules == std::vector<std::string>{"features:Chain", "features.0:Affine",
                                              "features.1:Counter", "head:Affine"});
  }

  TEST_CASE("registering a taken or dotted name is an error naming the module") {
    CHECK_THROWS_WITH_AS(BadNames("weight"),
                         "register_buffer: BadNames already has a member named weight", Error);
    CHECK_THROWS_WITH_AS(BadNames("a.b"),
                         "register_buffer: BadNames: invalid name 'a.b' (must be non-empty, "
                         "without '.')",
                         Error);
  }

  TEST_CASE("train and eval reach every descendant") {
    ToyNet net;
    CHECK(net.is_training());
    net.eval();
    CHECK_FALSE(net.is_training());
    for (const auto& entry : net.named_modules()) CHECK_FALSE(entry.second->is_training());
    net.features->train();
    CHECK(net.features->children()[1].second->is_training());
    CHECK_FALSE(net.head->is_training());
    // The Counter buffer only advances in training mode.
    net.train();
    net.forward(Tensor::ones({3}));
    net.eval();
    net.forward(Tensor::ones({3}));
    CHECK(net.named_buffers()[0].second.to_vector() == std::vector<float>{1, 1, 1});
  }

  TEST_CASE("zero_grad drops the gradients of every parameter") {
    ToyNet net;
    const Tensor y = net.forward(Tensor::from({3}, {1, 2, 3}));
    backward(y, Tensor::ones({3}));
    for (const Tensor& p : net.parameters()) CHECK(p.has_grad());
    net.zero_grad();
    for (const Tensor& p : net.parameters()) CHECK_FALSE(p.has_grad());
  }

  TEST_CASE("state_dict round trip gives identical outputs and shares storage") {
    ToyNet a, b;
    trit::testing::randomize(a, 1);
    trit::testing::randomize(b, 2);
    const Tensor x = Tensor::from({3}, {0.5f, -1.0f, 2.0f});
    NoGradGuard no_grad;
    a.eval();
    b.eval();
    CHECK(a.forward(x).to_vector() != b.forward(x).to_vector());
    const nn::StateDict state = a.state_dict();
    CHECK(state.size() == 5);
    b.load_state_dict(state);
    CHECK(a.forward(x).to_vector() == b.forward(x).to_vector());
    CHECK(b.state_dict().at("features.1.calls").to_vector() ==
          a.state_dict().at("features.1.calls").to_vector());
    // Loading copied into b's own storage: the handle its layer keeps sees the values.
    CHECK(b.head->weight.to_vector() == state.at("head.weight").to_vector());
    CHECK_FALSE(b.head->weight.is_same(state.at("head.weight")));
    // state_dict() tensors share storage with the module.
    state.at("head.bias").detach().data()[0] = 42.0f;
    CHECK(a.head->bias.data()[0] == 42.0f);
  }

  TEST_CASE("load_state_dict names shape mismatches, missing and unexpected tensors") {
    ToyNet net;
    net.set_name("toy");
    trit::testing::randomize(net, 3);
    const std::vector<float> before = net.head->weight.to_vector();
    nn::StateDict state = ToyNet().state_dict();

    SUBCASE("shape mismatch, strict or not") {
      state["head.weight"] = Tensor::zeros({4});
      const char* message =
          "load_state_dict: head.weight has shape [4] in the checkpoint but [3] in model toy";
      CHECK_THROWS_WITH_AS(net.load_state_dict(state), message, Error);
      CHECK_THROWS_WITH_AS(net.load_state_dict(state, false), message, Error);
      CHECK(net.head->weight.to_vector() == before);
    }
    SUBCASE("missing and unexpected") {
      state.erase("head.bias");
      state.erase("features.1.calls");
      state["head.scale"] = Tensor::zeros({3});
      CHECK_THROWS_WITH_AS(net.load_state_dict(state),
                           "load_state_dict: the checkpoint lacks head.bias, features.1.calls of "
                           "model toy; the checkpoint has head.scale, which model toy does not "
                           "have",
                           Error);
      CHECK(net.head->weight.to_vector() == before);  // nothing was copied
      net.load_state_dict(state, false);              // not strict: the rest loads
      CHECK(net.head->weight.to_vector() == std::vector<float>{1, 1, 1});
      CHECK(net.head->bias.to_vector() != std::vector<float>{0, 0, 0});
    }
  }
}
