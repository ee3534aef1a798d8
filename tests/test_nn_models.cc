// LeNet-5 models, the model registry and summary().
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/loss.h"
#include "nn/batch_norm.h"
#include "nn/dropout.h"
#include "nn/init.h"
#include "nn/models/registry.h"
#include "nn/sequential.h"
#include "nn/summary.h"
#include "optim/adam.h"

using namespace trit;

namespace {

std::vector<std::pair<std::string, Shape>> parameter_shapes(const nn::Module& model) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, tensor] : model.named_parameters())
    out.emplace_back(name, tensor.shape());
  return out;
}

// Synthetic 28x28 digits: the label says which of 10 horizontal bands is bright.
std::pair<Tensor, std::vector<int64_t>> synthetic_batch(int64_t n, Rng& rng) {
  Tensor images = Tensor::normal({n, 1, 28, 28}, 0.0f, 0.3f, rng);
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int64_t>(rng.below(10));
    for (int64_t row = 2 * labels[i] + 4; row < 2 * labels[i] + 6; ++row)
      for (int64_t col = 0; col < 28; ++col) images.data()[(i * 28 + row) * 28 + col] += 2.0f;
  }
  return {images, labels};
}

// Losses of `steps` Adam steps on lenet5-classic from seed 1, each on a fresh batch.
std::vector<float> train_losses(int steps) {
  Rng rng(1);
  auto model = nn::make_model("lenet5-classic", rng);
  optim::Adam adam(model->parameters(), {2e-3f, 0.9f, 0.999f, 1e-8f, 0.0f});
  std::vector<float> losses;
  for (int step = 0; step < steps; ++step) {
    const auto [images, labels] = synthetic_batch(32, rng);
    const Tensor loss = cross_entropy((*model)(images), labels);
    losses.push_back(loss.item());
    backward(loss);
    adam.step();
    adam.zero_grad();
  }
  return losses;
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("lenet5 (Caffe, 431,080 parameters) and lenet5-classic (61,706) have their layers") {
    using Shapes = std::vector<std::pair<std::string, Shape>>;
    const struct {
      const char* name;
      int64_t parameters;
      Shapes shapes;
    } models[] = {
        {"lenet5",
         431080,
         {{"conv1.weight", {20, 1, 5, 5}},
          {"conv1.bias", {20}},
          {"conv2.weight", {50, 20, 5, 5}},
          {"conv2.bias", {50}},
          {"fc1.weight", {500, 800}},
          {"fc1.bias", {500}},
          {"fc2.weight", {10, 500}},
          {"fc2.bias", {10}}}},
        {"lenet5-classic",
         61706,
         {{"conv1.weight", {6, 1, 5, 5}},
          {"conv1.bias", {6}},
          {"conv2.weight", {16, 6, 5, 5}},
          {"conv2.bias", {16}},
          {"fc1.weight", {120, 400}},
          {"fc1.bias", {120}},
          {"fc2.weight", {84, 120}},
          {"fc2.bias", {84}},
          {"fc3.weight", {10, 84}},
          {"fc3.bias", {10}}}},
    };
    for (const auto& m : models) {
      CAPTURE(m.name);
      Rng rng(0);
      const auto model = nn::make_model(m.name, rng);
      CHECK(model->name() == m.name);
      CHECK(model->num_parameters() == m.parameters);
      CHECK(parameter_shapes(*model) == m.shapes);
      NoGradGuard no_grad;
      CHECK((*model)(Tensor::zeros({3, 1, 28, 28})).shape() == Shape{3, 10});
    }
  }

  TEST_CASE("the registry builds models by name, seeded, and rejects unknown names") {
    CHECK(nn::model_names() ==
          std::vector<std::string>{"lenet5", "lenet5-classic", "densenet-bc40", "densenet-b76",
                                   "densenet40", "densenet-tiny"});
    CHECK(nn::model_spec("lenet5").input_shape == Shape{1, 28, 28});
    Rng a(5), b(5), c(6);
    const auto m1 = nn::make_model("lenet5", a), m2 = nn::make_model("lenet5", b);
    const auto m3 = nn::make_model("lenet5", c);
    CHECK(m1->state_dict().at("fc1.weight").to_vector() ==
          m2->state_dict().at("fc1.weight").to_vector());
    CHECK(m1->state_dict().at("fc1.weight").to_vector() !=
          m3->state_dict().at("fc1.weight").to_vector());
    CHECK_THROWS_WITH_AS(nn::make_model("lenet6", a),
                         "make_model: unknown model 'lenet6'; known: lenet5, "
                         "lenet5-classic, densenet-bc40, densenet-b76, densenet40, densenet-tiny",
                         Error);
  }

  TEST_CASE("glorot_ re-initialises weights with Glorot bounds and zeroes biases") {
    Rng rng(0);
    nn::Sequential net;
    net.add("conv", nn::make_model("lenet5", rng)).add("bn", std::make_shared<nn::BatchNorm2d>(3));
    nn::init::glorot_(net, rng);
    for (const auto& entry : net.named_parameters()) {
      const std::string& name = entry.first;  // a plain variable: clang 14 cannot capture bindings
      const Tensor& t = entry.second;
      CAPTURE(name);
      const std::vector<float> v = t.to_vector();
      const float largest = std::abs(*std::max_element(
          v.begin(), v.end(), [](float a, float b) { return std::abs(a) < std::abs(b); }));
      if (name.find("bias") != std::string::npos) {
        CHECK(largest == 0.0f);
      } else if (t.dim() == 1) {
        CHECK(v == std::vector<float>(3, 1.0f));  // BatchNorm weight untouched
      } else {
        const auto fans = nn::init::fans(t.shape());
        const double bound = std::sqrt(6.0 / double(fans.in + fans.out));
        CHECK(largest <= bound);
        CHECK(largest > 0.9 * bound);
      }
    }
  }

  TEST_CASE("loading lenet5 weights into lenet5-classic names the mismatch") {
    Rng rng(0);
    const auto caffe = nn::make_model("lenet5", rng);
    const auto classic = nn::make_model("lenet5-classic", rng);
    CHECK_THROWS_WITH_AS(classic->load_state_dict(caffe->state_dict()),
                         doctest::Contains("load_state_dict: conv1.weight has shape [20,1,5,5] in "
                                           "the checkpoint but [6,1,5,5] in model lenet5-classic"),
                         Error);
  }

  TEST_CASE("summary lists every layer's output shape and parameters") {
    Rng rng(0);
    const auto model = nn::make_model("lenet5", rng);
    const nn::Summary s = nn::summary(*model, {1, 1, 28, 28});
    CHECK(s.output == Shape{1, 10});
    CHECK(s.parameters == 431080);
    std::vector<std::string> rows;
    for (const nn::SummaryRow& row : s.rows)
      rows.push_back(row.name + " " + row.layer + " " + to_string(row.output) + " " +
                     std::to_string(row.parameters));
    CHECK(rows ==
          std::vector<std::string>{
              "conv1 Conv2d(1, 20, kernel=5) [1,20,24,24] 520", "pool1 MaxPool2d(2) [1,20,12,12] 0",
              "conv2 Conv2d(20, 50, kernel=5) [1,50,8,8] 25050", "pool2 MaxPool2d(2) [1,50,4,4] 0",
              "flatten Flatten [1,800] 0", "fc1 Linear(800, 500) [1,500] 400500",
              "relu1 ReLU [1,500] 0", "fc2 Linear(500, 10) [1,10] 5010"});
    const std::string table = nn::format_summary(s);
    // the last line is "parameters: N" in plain digits (trit summary's contract)
    CHECK(table.substr(table.rfind('\n', table.size() - 2) + 1) == "parameters: 431080\n");
    CHECK(table.find("fc1      Linear(800, 500)") != std::string::npos);
  }

  TEST_CASE("summary leaves modes, running statistics and random streams as they were") {
    nn::Sequential net;
    auto bn = std::make_shared<nn::BatchNorm2d>(2);
    auto dropout = std::make_shared<nn::Dropout>(0.5f, 3);
    net.add("bn", bn).add("drop", dropout);
    dropout->eval();
    const nn::StateDict before = net.state_dict();
    std::map<std::string, std::vector<float>> values;
    for (const auto& [name, t] : before) values[name] = t.to_vector();
    nn::Summary s = nn::summary(net, {2, 2, 3, 3});
    CHECK(s.buffers == 2 + 2 + 16);
    CHECK(net.is_training());
    CHECK(bn->is_training());
    CHECK_FALSE(dropout->is_training());
    for (const auto& [name, t] : net.state_dict()) CHECK(t.to_vector() == values[name]);
  }

  TEST_CASE("lenet5-classic learns synthetic digits, and two runs agree bit for bit [slow]") {
    const std::vector<float> losses = train_losses(20);
    CAPTURE(losses);
    CHECK(losses.front() == doctest::Approx(std::log(10.0f)).epsilon(0.05));  // chance level
    CHECK(losses[17] + losses[18] + losses[19] < 1.5f * losses.front());      // mean below half
    CHECK(train_losses(20) == losses);
  }
}
