// DenseNet: the presets' parameter counts and shapes, a gradient check through the whole
// tiny network, the memory-efficient graph against the textbook one, and a checkpoint
// round trip.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/layout.h"
#include "autograd/ops/loss.h"
#include "nn/checkpoint.h"
#include "nn/models/densenet.h"
#include "nn/models/registry.h"
#include "nn/summary.h"
#include "optim/sgd.h"
#include "tests/dataset_files.h"
#include "tests/module_helpers.h"

using namespace trit;

namespace {

// Parameter elements whose names end in `suffix` and that have `rank` dimensions.
int64_t count_parameters(const nn::Module& model, int64_t rank, const std::string& suffix) {
  int64_t total = 0;
  for (const auto& [name, tensor] : model.named_parameters())
    if (tensor.dim() == rank && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      total += tensor.numel();
  return total;
}

std::map<std::string, Shape> parameter_shapes(const nn::Module& model) {
  std::map<std::string, Shape> out;
  for (const auto& [name, tensor] : model.named_parameters()) out[name] = tensor.shape();
  return out;
}

nn::DenseNetConfig small_config(bool bottleneck, bool memory_efficient) {
  nn::DenseNetConfig c;
  c.depth = bottleneck ? 16 : 10;  // 2 layers per block
  c.growth = 3;
  c.bottleneck = bottleneck;
  c.compression = bottleneck ? 0.5f : 1.0f;
  c.initial_channels = 5;
  c.memory_efficient = memory_efficient;
  return c;
}

// Every parameter gradient and the input gradient of one training forward/backward with
// cross-entropy, plus the logits and the running statistics afterwards.
std::map<std::string, Tensor> training_step_results(const nn::DenseNetConfig& config) {
  Rng rng(21);
  nn::DenseNet model(config, rng);
  Tensor x = Tensor::normal({3, 3, 8, 8}, 0.0f, 1.0f, rng);
  x.set_requires_grad(true);
  const Tensor logits = model(x);
  backward(cross_entropy(logits, {1, 0, 7}));
  std::map<std::string, Tensor> out = {{"logits", logits.detach()}, {"input.grad", x.grad()}};
  for (const auto& [name, p] : model.named_parameters()) out[name + ".grad"] = p.grad();
  for (const auto& [name, b] : model.named_buffers()) out[name] = b;
  return out;
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("densenet presets have the parameter counts of PyTorch and the VNQ spec") {
    const struct {
      const char* name;
      int64_t parameters, conv_weights, fc_weights;
    } presets[] = {
        {"densenet-bc40", 176122, 169704, 1320},  // the DenseNet-BC-40 figure
        {"densenet-b76", 721642, 695600, 4480},   // spec vnq.md 6.2: 695,600 conv + 4,480 FC
        {"densenet40", 1019722, 997136, 4480},    // Huang et al.'s 1.0M DenseNet (L=40, k=12)
    };
    for (const auto& p : presets) {
      CAPTURE(p.name);
      Rng rng(0);
      const auto model = nn::make_model(p.name, rng);
      CHECK(model->num_parameters() == p.parameters);
      CHECK(count_parameters(*model, 4, ".weight") == p.conv_weights);
      CHECK(count_parameters(*model, 2, ".weight") == p.fc_weights);
    }
  }

  TEST_CASE("densenet-bc40 has torchvision's names and the DenseNet-BC layer shapes") {
    Rng rng(0);
    const auto model = nn::make_model("densenet-bc40", rng);
    const auto shapes = parameter_shapes(*model);
    const std::map<std::string, Shape> some = {
        {"features.conv0.weight", {24, 3, 3, 3}},
        {"features.denseblock1.denselayer1.norm1.weight", {24}},
        {"features.denseblock1.denselayer1.conv1.weight", {48, 24, 1, 1}},
        {"features.denseblock1.denselayer1.norm2.bias", {48}},
        {"features.denseblock1.denselayer1.conv2.weight", {12, 48, 3, 3}},
        {"features.denseblock1.denselayer6.conv1.weight", {48, 84, 1, 1}},
        {"features.transition1.conv.weight", {48, 96, 1, 1}},
        {"features.denseblock2.denselayer1.conv1.weight", {48, 48, 1, 1}},
        {"features.transition2.conv.weight", {60, 120, 1, 1}},
        {"features.denseblock3.denselayer6.conv1.weight", {48, 120, 1, 1}},
        {"features.norm5.weight", {132}},
        {"classifier.weight", {10, 132}},
        {"classifier.bias", {10}},
    };
    for (const auto& [name, shape] : some) {
      const std::string& entry = name;  // CAPTURE may not name a structured binding
      CAPTURE(entry);
      REQUIRE(shapes.count(name) == 1);
      CHECK(shapes.at(name) == shape);
    }
    CHECK(shapes.size() == 1 + 3 * 6 * 6 + 2 * 3 + 2 + 2);  // conv0, layers, transitions, ...
  }

  TEST_CASE("densenet maps images to logits; summary shows the blocks' shapes") {
    Rng rng(0);
    const auto model = nn::make_model("densenet-bc40", rng);
    {
      NoGradGuard no_grad;
      model->eval();
      CHECK((*model)(Tensor::zeros({2, 3, 32, 32})).shape() == Shape{2, 10});
      model->train();
    }
    const nn::Summary s = nn::summary(*model, {1, 3, 32, 32});
    CHECK(s.parameters == 176122);
    const std::string table = nn::format_summary(s);  // `trit summary` ends with this line
    CHECK(table.substr(table.rfind('\n', table.size() - 2) + 1) == "parameters: 176122\n");
    std::map<std::string, Shape> outputs;
    for (const nn::SummaryRow& row : s.rows) outputs[row.name] = row.output;
    CHECK(outputs["features.conv0"] == Shape{1, 24, 32, 32});
    CHECK(outputs["features.denseblock1"] == Shape{1, 96, 32, 32});
    CHECK(outputs["features.denseblock1.denselayer3"] == Shape{1, 12, 32, 32});
    CHECK(outputs["features.transition1"] == Shape{1, 48, 16, 16});
    CHECK(outputs["features.denseblock2"] == Shape{1, 120, 16, 16});
    CHECK(outputs["features.transition2"] == Shape{1, 60, 8, 8});
    CHECK(outputs["features.denseblock3"] == Shape{1, 132, 8, 8});
    CHECK(outputs["features.pool"] == Shape{1, 132});
    CHECK(outputs["classifier"] == Shape{1, 10});
  }

  TEST_CASE(
      "densenet initialises convs as the reference code, BN to 1/0, the classifier bias to 0") {
    Rng rng(3);
    const auto model = nn::make_model("densenet-bc40", rng);
    const auto params = model->state_dict();
    const std::vector<float> w =
        params.at("features.denseblock1.denselayer1.conv1.weight").to_vector();
    double squares = 0.0;
    for (float v : w) squares += double(v) * v;
    // normal(0, sqrt(2 / fan_out)), fan_out = 48 * 1 * 1: E[w^2] = 2 / 48 (1,152 draws)
    CHECK(squares / double(w.size()) == doctest::Approx(2.0 / 48.0).epsilon(0.15));
    CHECK(params.at("features.norm5.weight").to_vector() == std::vector<float>(132, 1.0f));
    CHECK(params.at("features.norm5.bias").to_vector() == std::vector<float>(132, 0.0f));
    CHECK(params.at("classifier.bias").to_vector() == std::vector<float>(10, 0.0f));
  }

  TEST_CASE("densenet configurations that do not fit are refused") {
    nn::DenseNetConfig c;
    c.depth = 41;
    Rng rng(0);
    CHECK_THROWS_WITH_AS(nn::DenseNet(c, rng),
                         "densenet: depth 41 is not 3 n x 2 + 4 for a whole n >= 1", Error);
    c.depth = 40;
    c.compression = 0.0f;
    CHECK_THROWS_AS(nn::DenseNet(c, rng), Error);
  }

  TEST_CASE(
      "densenet-tiny backward matches finite differences (input and every parameter) [slow]") {
    Rng rng(7);
    const auto model = nn::make_model("densenet-tiny", rng);
    testing::randomize_batch_norm(*model, 8);
    const Tensor x = testing::random_input({2, 3, 8, 8}, 9);
    // ~3,000 elements, each shifting every ReLU input downstream: about 1% of them put a
    // kink inside +-eps; those are skipped (gradcheck.h), the rest must match.
    testing::GradcheckOptions options;
    options.max_kink_fraction = 0.02;
    testing::gradcheck_layer(*model, x, options);
  }

  TEST_CASE("memory-efficient dense blocks equal the concat graph: values and gradients") {
    for (bool bottleneck : {true, false}) {
      CAPTURE(bottleneck);
      const auto efficient = training_step_results(small_config(bottleneck, true));
      const auto naive = training_step_results(small_config(bottleneck, false));
      REQUIRE(efficient.size() == naive.size());
      testing::require_close(naive, efficient);
    }
  }

  TEST_CASE("densenet inference runs a large batch in groups of images, with the same logits") {
    Rng rng(13);
    const auto model = nn::make_model("densenet-bc40", rng);
    model->eval();
    // 20 images of 96 x 32 x 32 first-block floats (384 KiB each): two groups of 10.
    const Tensor x = Tensor::normal({20, 3, 32, 32}, 0.0f, 1.0f, rng);
    const Tensor whole = (*model)(x);  // a tape is recorded: one pass
    std::vector<int64_t> classifier_batches;
    nn::set_forward_observer([&](const nn::Module& module, const Tensor& output) {
      if (module.type() == "Linear") classifier_batches.push_back(output.size(0));
    });
    Tensor grouped;
    {
      NoGradGuard no_grad;
      grouped = (*model)(x);
    }
    nn::set_forward_observer({});
    CHECK(classifier_batches == std::vector<int64_t>{10, 10});
    REQUIRE(grouped.shape() == whole.shape());
    CHECK(grouped.to_vector() == whole.to_vector());
    NoGradGuard no_grad;
    classifier_batches.clear();
    nn::set_forward_observer([&](const nn::Module& module, const Tensor& output) {
      if (module.type() == "Linear") classifier_batches.push_back(output.size(0));
    });
    (*model)(slice(x, 0, 0, 15));  // under two groups of 8: one pass
    nn::set_forward_observer({});
    CHECK(classifier_batches == std::vector<int64_t>{15});
  }

  TEST_CASE("a densenet checkpoint round trip gives identical evaluation outputs") {
    testing::TempDir dir;
    const std::string path = dir.file("densenet.safetensors");
    Rng rng(11);
    const auto model = nn::make_model("densenet-tiny", rng);
    optim::SGD sgd(model->parameters(), {0.1f, 0.9f, 0.0f, 1e-4f, true});
    for (int step = 0; step < 2; ++step) {  // moves weights and running statistics
      backward(
          cross_entropy((*model)(Tensor::normal({4, 3, 8, 8}, 0.0f, 1.0f, rng)), {0, 1, 2, 3}));
      sgd.step();
      sgd.zero_grad();
    }
    nn::save_checkpoint(path, *model, {});
    Rng other(12);
    const auto loaded = nn::make_model("densenet-tiny", other);
    nn::load_checkpoint(path, *loaded);
    model->eval();
    loaded->eval();
    NoGradGuard no_grad;
    const Tensor x = Tensor::normal({3, 3, 16, 16}, 0.0f, 1.0f, rng);
    const Tensor want = (*model)(x), got = (*loaded)(x);
    CHECK(got.to_vector() == want.to_vector());
    Rng third(12);
    CHECK((*nn::make_model("densenet-tiny", third))(x).to_vector() != want.to_vector());
  }
}
