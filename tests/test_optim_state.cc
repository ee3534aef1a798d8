// Optimiser state: a restored optimiser continues bit-identically; bad state is refused.
#include <doctest/doctest.h>

#include <functional>
#include <memory>

#include "autograd/error.h"
#include "autograd/random.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "tests/optim_helpers.h"

using namespace trit;
using trit::testing::take_steps;

namespace {

std::vector<std::vector<float>> gradients(size_t steps, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<float>> out(steps, std::vector<float>(37));
  for (auto& g : out)
    for (float& x : g) x = rng.normal();
  return out;
}

using Make = std::function<std::unique_ptr<optim::Optimizer>(Tensor)>;

// Runs 5 steps straight through, and 3 steps + state_dict -> fresh optimiser + 2 steps.
void check_resume(const Make& make) {
  const auto grads = gradients(5, 11);
  Rng rng(3);
  const Tensor start = Tensor::normal({37}, 0.0f, 1.0f, rng);

  Tensor straight = start.clone().set_requires_grad();
  auto a = make(straight);
  take_steps(*a, straight, grads);

  Tensor resumed = start.clone().set_requires_grad();
  auto b = make(resumed);
  take_steps(*b, resumed, {grads.begin(), grads.begin() + 3});
  nn::StateDict saved;
  for (const auto& [name, tensor] : b->state_dict()) saved[name] = tensor.clone();
  const Tensor saved_param = resumed.clone();

  Tensor continued = saved_param.clone().set_requires_grad();
  auto c = make(continued);
  c->load_state_dict(saved);
  take_steps(*c, continued, {grads.begin() + 3, grads.end()});
  CHECK(continued.to_vector() == straight.to_vector());  // bit for bit
}

}  // namespace

TEST_SUITE("optim") {
  TEST_CASE("SGD, Adam and AdamW continue bit-identically from their state dict") {
    SUBCASE("sgd nesterov") {
      check_resume([](Tensor p) {
        return std::make_unique<optim::SGD>(std::vector<Tensor>{p},
                                            optim::SgdOptions{0.1f, 0.9f, 0.0f, 1e-4f, true});
      });
    }
    SUBCASE("adam") {
      check_resume([](Tensor p) {
        return std::make_unique<optim::Adam>(std::vector<Tensor>{p},
                                             optim::AdamOptions{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f});
      });
    }
    SUBCASE("adamw") {
      check_resume([](Tensor p) {
        return std::make_unique<optim::AdamW>(std::vector<Tensor>{p},
                                              optim::AdamOptions{1e-3f, 0.9f, 0.99f, 1e-8f, 0.01f});
      });
    }
  }

  TEST_CASE("the state dict names buffers per group and parameter") {
    Tensor a = Tensor::zeros({2}).set_requires_grad(), b = Tensor::zeros({3}).set_requires_grad();
    optim::Adam adam({{{a}, 1.0f, std::nullopt}, {{b}, 0.01f, std::nullopt}}, {});
    take_steps(adam, a, {{1, 2}});
    take_steps(adam, b, {{1, 2, 3}, {1, 2, 3}});
    std::vector<std::string> names;
    for (const auto& entry : adam.state_dict()) names.push_back(entry.first);
    CHECK(names == std::vector<std::string>{"group0.param0.exp_avg", "group0.param0.exp_avg_sq",
                                            "group0.param0.step", "group1.param0.exp_avg",
                                            "group1.param0.exp_avg_sq", "group1.param0.step"});
    // a keeps its gradient, so it is updated at all three steps; b from the second on.
    CHECK(adam.state_dict().at("group0.param0.step").item() == 3.0f);
    CHECK(adam.state_dict().at("group1.param0.step").item() == 2.0f);
    CHECK(adam.state_dict().at("group1.param0.exp_avg").shape() == Shape{3});
  }

  TEST_CASE("loading bad optimiser state is an error and changes nothing") {
    Tensor p = Tensor::zeros({2}).set_requires_grad();
    optim::Adam adam({p}, {});
    take_steps(adam, p, {{1, 1}});
    const nn::StateDict good = adam.state_dict();
    const auto refuses = [&](nn::StateDict state, const std::string& message) {
      CHECK_THROWS_WITH_AS(adam.load_state_dict(state),
                           ("load_state_dict (adam): " + message).c_str(), Error);
      CHECK(adam.state_dict().at("group0.param0.step").item() == 1.0f);
    };
    nn::StateDict state = good;
    state["group0.param0.exp_avg"] = Tensor::zeros({3});
    refuses(state, "group0.param0.exp_avg has shape [3] in the checkpoint but [2] here");
    state = good;
    state["group0.param1.exp_avg"] = Tensor::zeros({2});
    refuses(state, "group0.param1.exp_avg names a parameter this optimiser does not have");
    state = good;
    state["group0.param0.momentum_buffer"] = Tensor::zeros({2});
    refuses(state, "group0.param0.momentum_buffer: adam has no state named momentum_buffer");
    state = good;
    state["lr"] = Tensor::scalar(1.0f);
    refuses(state, "unexpected state name lr");
    state = good;
    state.erase("group0.param0.exp_avg_sq");
    refuses(state, "group0.param0 has only part of its state");
    state = good;
    state["group0.param0.step"] = Tensor::scalar(1.5f);
    refuses(state, "group0.param0.step is not a positive whole number");
  }
}
