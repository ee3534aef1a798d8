// VNQ on DenseNet (spec vnq.md §6.2): the layers make_variational swaps in are the ones the
// network computes with, in every dense layer, transition and the classifier; in means
// mode the variational network is the float one; gradients match finite differences; the
// "w/o 1" row keeps features.conv0 in float; a ternary checkpoint round-trips.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/loss.h"
#include "nn/models/densenet.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/model.h"
#include "quant/vnq/to_ternary.h"
#include "tests/dataset_files.h"
#include "tests/module_helpers.h"
#include "tests/vnq_fixtures.h"

using namespace trit;
using namespace trit::quant;

namespace {

// The variational layers of `model` by dotted name.
std::map<std::string, std::shared_ptr<VariationalLayer>> variational_by_name(
    const nn::Module& model) {
  std::map<std::string, std::shared_ptr<VariationalLayer>> out;
  for (const auto& [name, module] : model.named_modules())
    if (auto layer = std::dynamic_pointer_cast<VariationalLayer>(module)) out[name] = layer;
  return out;
}

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, double(std::abs(t.data()[i])));
  return m;
}

void reseed(const VariationalLayers& layers, uint64_t seed) {
  for (size_t i = 0; i < layers.size(); ++i) layers[i]->reseed(seed + i);
}

// Two dense layers per block, so a block can mix fused and unfused layers.
nn::DenseNetConfig two_layer_blocks() {
  nn::DenseNetConfig c;
  c.depth = 16;
  c.growth = 3;
  c.initial_channels = 5;
  return c;
}

// The config's DenseNet (seeded init, random BN affine parameters), made variational in
// means mode except `keep_float` when `variational`.
std::shared_ptr<nn::DenseNet> densenet(const nn::DenseNetConfig& config, bool variational,
                                       const std::vector<std::string>& keep_float = {}) {
  Rng rng(21);
  auto model = std::make_shared<nn::DenseNet>(config, rng);
  testing::randomize_batch_norm(*model, 22);
  if (variational) set_mode(make_variational(*model, testing::keeping_float(keep_float), 3), VnqMode::kMeans);
  return model;
}

// Logits, input gradient, every parameter's gradient and every buffer after one training
// step's forward and backward (cross-entropy), then the logits in evaluation.
std::map<std::string, Tensor> step_results(nn::Module& model, const Tensor& images) {
  Tensor x = images.clone();
  x.set_requires_grad(true);
  model.train();
  const Tensor logits = model(x);
  backward(cross_entropy(logits, {1, 0, 7}));
  std::map<std::string, Tensor> out = {{"logits", logits.detach()}, {"input.grad", x.grad()}};
  for (const auto& [name, p] : model.named_parameters())
    if (p.has_grad()) out[name + ".grad"] = p.grad();
  for (const auto& [name, b] : model.named_buffers()) out[name] = b.clone();
  NoGradGuard no_grad;
  model.eval();
  out["eval logits"] = model(images);
  return out;
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("a variational densenet computes with every variational layer in training") {
    Rng rng(1);
    const std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
    const VariationalLayers layers = make_variational(*model, VnqConfig{}, 2);
    const auto by_name = variational_by_name(*model);
    REQUIRE(layers.size() == 10);  // conv0, 3 x (conv1, conv2), 2 transitions, classifier
    REQUIRE(by_name.count("features.denseblock2.denselayer1.conv1") == 1);
    REQUIRE(by_name.count("features.transition1.conv") == 1);
    REQUIRE(by_name.count("classifier") == 1);
    const Tensor x = Tensor::normal({3, 3, 8, 8}, 0.0f, 1.0f, rng);

    // The cross-entropy alone sends gradients to theta and log sigma^2 of every layer: each
    // one's sampled pre-activations were part of the forward pass.
    reseed(layers, 10);
    backward(cross_entropy((*model)(x), {1, 4, 7}));
    for (const auto& [name, layer] : by_name) {
      const std::string& entry = name;  // CAPTURE may not name a structured binding
      CAPTURE(entry);
      REQUIRE(layer->theta().has_grad());
      REQUIRE(layer->log_sigma2().has_grad());
      CHECK(max_abs(layer->theta().grad()) > 0.0);
      CHECK(max_abs(layer->log_sigma2().grad()) > 0.0);
    }
    // The levels learn from the KL term (§2.1).
    model->zero_grad();
    reseed(layers, 10);
    backward(cross_entropy((*model)(x), {1, 4, 7}) + total_kl(layers, 1e-3f));
    for (const auto& [name, layer] : by_name) {
      const std::string& entry = name;  // CAPTURE may not name a structured binding
      CAPTURE(entry);
      REQUIRE(layer->level().has_grad());
      CHECK(max_abs(layer->level().grad()) > 0.0);
    }

    // More noise in one inner convolution changes the logits (same noise streams).
    NoGradGuard no_grad;
    reseed(layers, 20);
    const std::vector<float> before = (*model)(x).to_vector();
    Tensor ls = by_name.at("features.denseblock2.denselayer1.conv2")->log_sigma2();
    for (int64_t i = 0; i < ls.numel(); ++i) ls.data()[i] = -1.0f;
    reseed(layers, 20);
    const std::vector<float> after = (*model)(x).to_vector();
    double change = 0.0;
    for (size_t i = 0; i < before.size(); ++i) change += std::abs(after[i] - before[i]);
    CHECK(change > 1e-3);
  }

  TEST_CASE("in means mode a variational densenet is the float densenet: values and gradients") {
    // Both run fused with shared statistics, the variational one also with one dense
    // layer's conv1 kept float.
    Rng rng(23);
    const Tensor x = Tensor::normal({3, 3, 8, 8}, 0.0f, 1.0f, rng);
    const auto want = step_results(*densenet(two_layer_blocks(), false), x);
    const std::vector<std::vector<std::string>> keeps = {
        {}, {"features.denseblock2.denselayer2.conv1"}};
    for (const std::vector<std::string>& keep : keeps) {
      CAPTURE(keep.size());
      testing::require_close(want, step_results(*densenet(two_layer_blocks(), true, keep), x));
    }
  }

  TEST_CASE("a sampled variational densenet runs fused as the concat graph does") {
    // Memory-efficient: every BN-ReLU-conv fused, the variance path on the recomputed h^2,
    // the running statistics moved once per BN; the textbook graph: concat, BN, ReLU,
    // square and conv ops. Same parameters and noise streams, so the same values, gradients
    // (theta, log sigma^2, levels, BN) and running statistics.
    Rng rng(41);
    const Tensor x = Tensor::normal({3, 3, 8, 8}, 0.0f, 1.0f, rng);
    const auto sampled_step = [&](bool memory_efficient) {
      nn::DenseNetConfig config = two_layer_blocks();
      config.memory_efficient = memory_efficient;
      Rng init(21);
      auto model = std::make_shared<nn::DenseNet>(config, init);
      testing::randomize_batch_norm(*model, 22);
      VnqConfig vnq;
      vnq.init_log_sigma2 = -2.0f;  // noise as large as the means: the variance path counts
      const VariationalLayers layers = make_variational(*model, vnq, 3);
      for (const auto& layer : layers) layer->init_level_from_weights();
      reseed(layers, 50);
      return step_results(*model, x);
    };
    const auto textbook = sampled_step(false);
    REQUIRE(textbook.count("features.denseblock2.denselayer1.conv1.log_sigma2.grad") == 1);
    testing::require_close(textbook, sampled_step(true));
  }

  TEST_CASE("a variational densenet in means mode backward matches finite differences") {
    Rng rng(31);
    std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
    testing::randomize_batch_norm(*model, 32);
    set_mode(make_variational(*model, VnqConfig{}, 4), VnqMode::kMeans);
    const auto by_name = variational_by_name(*model);
    std::vector<Tensor> inputs = {testing::random_input({2, 3, 8, 8}, 33)};
    for (const char* name :
         {"features.denseblock1.denselayer1.conv1", "features.denseblock3.denselayer1.conv2",
          "features.transition2.conv", "classifier"})
      inputs.push_back(by_name.at(name)->theta());
    for (const auto& [name, tensor] : model->named_parameters())
      if (name == "features.denseblock2.denselayer1.norm1.weight") inputs.push_back(tensor);
    REQUIRE(inputs.size() == 6);
    testing::GradcheckOptions options;
    options.max_kink_fraction = 0.02;  // ReLU kinks inside +-eps (see test_nn_densenet.cc)
    testing::gradcheck([&](const std::vector<Tensor>& in) { return (*model)(in[0]); }, inputs,
                       options);
  }

  TEST_CASE("keep-float features.conv0 (the 'w/o 1' row) leaves it a Conv2d; typos are errors") {
    Rng rng(41);
    std::shared_ptr<nn::Module> model = nn::make_model("densenet-tiny", rng);
    const VariationalLayers layers = make_variational(*model, testing::keeping_float({"features.conv0"}), 5);
    CHECK(layers.size() == 9);
    const auto by_name = variational_by_name(*model);
    CHECK(by_name.count("features.conv0") == 0);
    CHECK(by_name.count("features.denseblock1.denselayer1.conv1") == 1);
    for (const auto& [name, module] : model->named_modules())
      if (name == "features.conv0") CHECK(module->type() == "Conv2d");

    std::shared_ptr<nn::Module> fresh = nn::make_model("densenet-tiny", rng);
    CHECK_THROWS_WITH_AS(make_variational(*fresh, testing::keeping_float({"conv0"}), 5),
                         "make_variational: keep-float name 'conv0' is not a Linear or Conv2d "
                         "layer of model densenet-tiny (the first is 'features.conv0')",
                         Error);
    CHECK_THROWS_AS(make_variational(*fresh, testing::keeping_float({"features.norm5"}), 5), Error);
    CHECK(find_variational(*fresh).empty());  // nothing was swapped
  }

  TEST_CASE("a tiny VNQ densenet made ternary predicts as kTernary mode and round-trips") {
    NoGradGuard no_grad;
    testing::TempDir dir;
    const std::string path = dir.file("densenet.ternary.safetensors");
    VariationalLayers layers;
    std::shared_ptr<nn::Module> model = testing::spread_vnq_model("densenet-tiny", 5, {}, &layers);
    Rng rng(51);
    set_mode(layers, VnqMode::kMeans);
    for (int step = 0; step < 2; ++step)  // moves the running statistics
      (*model)(Tensor::normal({4, 3, 8, 8}, 0.0f, 1.0f, rng));
    model->eval();
    const Tensor x = Tensor::normal({3, 3, 8, 8}, 0.0f, 1.0f, rng);
    const std::vector<float> means = (*model)(x).to_vector();
    set_mode(layers, VnqMode::kTernary);
    const std::vector<float> ternary = (*model)(x).to_vector();
    double difference = 0.0;  // P&Q changes the network: the checks below can tell them apart
    for (size_t i = 0; i < means.size(); ++i) difference += std::abs(means[i] - ternary[i]);
    REQUIRE(difference > 0.1);

    REQUIRE(make_ternary(*model).size() == 10);
    const std::vector<float> packed = (*model)(x).to_vector();
    for (size_t i = 0; i < packed.size(); ++i)
      CHECK(packed[i] == doctest::Approx(ternary[i]).epsilon(1e-4).scale(1e-3));
    save_ternary_checkpoint(path, *model);
    CHECK(nn::load_safetensors(path).tensors.count(
              "features.denseblock2.denselayer1.conv2.codes") == 1);

    Rng other(77);
    std::shared_ptr<nn::Module> loaded = nn::make_model("densenet-tiny", other);
    load_ternary_checkpoint(path, *loaded);
    CHECK(find_ternary(*loaded).size() == 10);
    loaded->eval();
    CHECK((*loaded)(x).to_vector() == packed);
  }
}
