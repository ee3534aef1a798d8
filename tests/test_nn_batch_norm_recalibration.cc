// BatchNorm re-estimation (nn/batch_norm_recalibration.h): the running statistics become
// the mean over batches of the batch means and unbiased variances, computed here directly;
// nothing else changes; the fused DenseNet path is re-estimated too.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "nn/activation.h"
#include "nn/batch_norm.h"
#include "nn/batch_norm_recalibration.h"
#include "nn/conv2d.h"
#include "nn/models/registry.h"
#include "nn/sequential.h"
#include "tests/module_helpers.h"

using namespace trit;

namespace {

struct ChannelMoments {
  std::vector<double> mean, unbiased_var, biased_var;
};

// Per-channel moments of x [N, C, H, W].
ChannelMoments moments(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), plane = x.size(2) * x.size(3), m = n * plane;
  ChannelMoments out{std::vector<double>(c), std::vector<double>(c), std::vector<double>(c)};
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0.0, squares = 0.0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < plane; ++p) sum += x.data()[(i * c + ch) * plane + p];
    const double mean = sum / double(m);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < plane; ++p)
        squares += std::pow(x.data()[(i * c + ch) * plane + p] - mean, 2);
    out.mean[ch] = mean;
    out.unbiased_var[ch] = squares / double(m - 1);
    out.biased_var[ch] = squares / double(m);
  }
  return out;
}

// relu((x - batch mean) / sqrt(batch var + eps) * weight + bias), the BN of a training pass.
Tensor normalize_relu(const Tensor& x, const nn::BatchNorm2d& norm) {
  const ChannelMoments m = moments(x);
  Tensor out = x.clone();
  const int64_t c = x.size(1), plane = x.size(2) * x.size(3);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t ch = (i / plane) % c;
    const double y = (x.data()[i] - m.mean[ch]) / std::sqrt(m.biased_var[ch] + norm.eps()) *
                         norm.weight().data()[ch] +
                     norm.bias().data()[ch];
    out.data()[i] = static_cast<float>(std::max(y, 0.0));
  }
  return out;
}

// Accumulates the mean over batches of per-batch moments.
struct MeanOfMoments {
  std::vector<double> mean, var;
  int64_t batches = 0;
  void add(const ChannelMoments& m) {
    mean.resize(m.mean.size());
    var.resize(m.mean.size());
    for (size_t c = 0; c < m.mean.size(); ++c) {
      mean[c] += m.mean[c];
      var[c] += m.unbiased_var[c];
    }
    ++batches;
  }
  void check_against(const nn::BatchNorm2d& norm) const {
    REQUIRE(norm.running_mean().numel() == int64_t(mean.size()));
    for (size_t c = 0; c < mean.size(); ++c) {
      CAPTURE(c);
      CHECK(norm.running_mean().data()[c] ==
            doctest::Approx(mean[c] / double(batches)).epsilon(1e-4).scale(1e-3));
      CHECK(norm.running_var().data()[c] ==
            doctest::Approx(var[c] / double(batches)).epsilon(1e-4));
    }
  }
};

std::vector<Tensor> batches(const std::vector<int64_t>& sizes, const Shape& image, uint64_t seed) {
  Rng rng(seed);
  std::vector<Tensor> out;
  for (int64_t n : sizes) {
    Shape shape = image;
    shape.insert(shape.begin(), n);
    out.push_back(Tensor::normal(shape, 0.5f, 2.0f, rng));
  }
  return out;
}

nn::BatchSource source(const std::vector<Tensor>& list) {
  auto next = std::make_shared<size_t>(0);
  return [list, next](Tensor& images) {
    if (*next == list.size()) return false;
    images = list[(*next)++];
    return true;
  };
}

// Random BN affine parameters, and running statistics in [0.5, 3.5] (nothing a reset gives).
void scramble_batch_norms(nn::Module& model, uint64_t seed) {
  testing::randomize_batch_norm(model, seed);
  Rng rng(seed + 1);
  for (const auto& [name, module] : model.named_modules()) {
    auto norm = std::dynamic_pointer_cast<nn::BatchNorm2d>(module);
    if (!norm) continue;
    for (Tensor t : {norm->running_mean(), norm->running_var()})
      for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = 0.5f + 3.0f * rng.uniform();
  }
}

}  // namespace

TEST_SUITE("nn") {
  TEST_CASE("BN re-estimation: running stats = mean over batches of batch mean and variance") {
    Rng rng(1);
    Conv2dOptions padded;
    padded.padding = 1;
    auto conv1 = std::make_shared<nn::Conv2d>(2, 3, 3, rng, padded);
    auto norm1 = std::make_shared<nn::BatchNorm2d>(3);
    auto conv2 = std::make_shared<nn::Conv2d>(3, 4, 1, rng);
    auto norm2 = std::make_shared<nn::BatchNorm2d>(4, 0.3f);
    nn::Sequential model({conv1, norm1, std::make_shared<nn::ReLU>(), conv2, norm2});
    scramble_batch_norms(model, 2);
    const std::vector<Tensor> data = batches({4, 4, 3}, {2, 5, 5}, 3);

    MeanOfMoments want1, want2;
    {
      NoGradGuard no_grad;
      for (const Tensor& x : data) {
        const Tensor h1 = (*conv1)(x);
        want1.add(moments(h1));
        want2.add(moments((*conv2)(normalize_relu(h1, *norm1))));
      }
    }
    const nn::StateDict before = model.state_dict();
    std::vector<std::pair<std::string, std::vector<float>>> parameters;
    for (const auto& [name, p] : model.named_parameters())
      parameters.emplace_back(name, p.to_vector());

    for (bool training : {true, false}) {
      CAPTURE(training);
      model.train(training);
      norm2->train(!training);  // a mixed state must come back as it was
      CHECK(nn::recalibrate_batch_norm(model, source(data)) == 3);
      want1.check_against(*norm1);
      want2.check_against(*norm2);
      CHECK(model.is_training() == training);
      CHECK(conv1->is_training() == training);
      CHECK(norm1->is_training() == training);
      CHECK(norm2->is_training() == !training);
      CHECK(norm1->momentum() == 0.1f);
      CHECK(norm2->momentum() == 0.3f);
      for (const auto& [name, values] : parameters) {
        const std::string& entry = name;  // CAPTURE may not name a structured binding
        CAPTURE(entry);
        CHECK(model.state_dict().at(name).to_vector() == values);
      }
    }
    CHECK(before.size() == model.state_dict().size());
  }

  TEST_CASE("BN re-estimation refuses a model without BN and an empty source, changing nothing") {
    Rng rng(4);
    nn::Sequential plain({std::make_shared<nn::Conv2d>(2, 3, 1, rng)});
    CHECK_THROWS_WITH_AS(nn::recalibrate_batch_norm(plain, source(batches({2}, {2, 3, 3}, 5))),
                         "recalibrate_batch_norm: model Sequential has no BatchNorm2d", Error);
    auto norm = std::make_shared<nn::BatchNorm2d>(2);
    nn::Sequential model({norm});
    norm->running_mean().data()[0] = 4.0f;
    CHECK_THROWS_WITH_AS(nn::recalibrate_batch_norm(model, source({})),
                         "recalibrate_batch_norm: no batch to estimate statistics from", Error);
    CHECK(norm->running_mean().data()[0] == 4.0f);
    CHECK(norm->momentum() == 0.1f);
  }

  TEST_CASE("BN re-estimation reaches the fused BN-ReLU-convs of a memory-efficient DenseNet") {
    // The first dense layer's norm1 reads features.conv0's output through the fused op.
    Rng rng(6);
    const auto model = nn::make_model("densenet-tiny", rng);
    scramble_batch_norms(*model, 7);
    const std::vector<Tensor> data = batches({3, 3}, {3, 8, 8}, 8);
    MeanOfMoments want;
    {
      NoGradGuard no_grad;
      nn::Module* conv0 = nullptr;
      nn::BatchNorm2d* norm1 = nullptr;
      for (const auto& [name, module] : model->named_modules()) {
        if (name == "features.conv0") conv0 = module.get();
        if (name == "features.denseblock1.denselayer1.norm1")
          norm1 = dynamic_cast<nn::BatchNorm2d*>(module.get());
      }
      REQUIRE(conv0 != nullptr);
      REQUIRE(norm1 != nullptr);
      for (const Tensor& x : data) want.add(moments((*conv0)(x)));
      model->eval();
      CHECK(nn::recalibrate_batch_norm(*model, source(data)) == 2);
      CHECK_FALSE(model->is_training());
      want.check_against(*norm1);
    }
  }
}
