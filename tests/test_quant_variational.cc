// VNQ's variational layers and model plumbing: local reparameterisation statistics and
// gradients (spec vnq.md §9.4), the P&Q rule (§9.5), conversion of a trained model, modes.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/matmul.h"
#include "nn/models/registry.h"
#include "quant/vnq/model.h"
#include "quant/vnq/layer_stats.h"
#include "quant/vnq/plots.h"
#include "quant/vnq/reparam.h"
#include "tests/gradcheck.h"

using namespace trit;
using namespace trit::quant;

namespace {

// Per-column mean and variance of a [N, K] tensor.
std::pair<std::vector<double>, std::vector<double>> column_moments(const Tensor& y) {
  const int64_t n = y.size(0), k = y.numel() / n;
  std::vector<double> mean(k, 0.0), var(k, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) mean[j] += y.data()[i * k + j] / n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) var[j] += std::pow(y.data()[i * k + j] - mean[j], 2) / n;
  return {mean, var};
}

Tensor repeat_rows(const std::vector<float>& row, int64_t n, const Shape& example_shape) {
  Shape shape = example_shape;
  shape.insert(shape.begin(), n);
  Tensor x = Tensor::empty(shape);
  for (int64_t i = 0; i < n; ++i) std::copy(row.begin(), row.end(), x.data() + i * row.size());
  return x;
}

void fill(Tensor t, const std::vector<float>& values) {
  std::copy(values.begin(), values.end(), t.data());
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("local reparameterisation: sampled moments match x.theta and x^2.sigma^2 (§9.4)") {
    NoGradGuard no_grad;
    SUBCASE("dense") {
      VariationalLinear layer(3, 2, /*bias=*/false, VnqConfig{}, 11);
      fill(layer.theta(), {0.5f, -0.2f, 0.1f, 0.3f, 0.7f, -0.4f});
      layer.init_level_from_weights();  // a = max |theta|: nothing is clipped
      fill(layer.log_sigma2(), {-2.0f, -1.0f, -3.0f, -0.5f, -2.5f, -1.5f});
      const std::vector<float> x = {1.0f, -2.0f, 0.5f};
      const Tensor y = layer(repeat_rows(x, 200000, {3}));
      const auto [mean, var] = column_moments(y);
      for (int64_t j = 0; j < 2; ++j) {
        double want_mean = 0, want_var = 0;
        for (int64_t i = 0; i < 3; ++i) {
          want_mean += x[i] * layer.theta().data()[j * 3 + i];
          want_var += x[i] * x[i] * std::exp(layer.log_sigma2().data()[j * 3 + i]);
        }
        CHECK(std::abs(mean[j] - want_mean) < 0.01 * std::sqrt(want_var) + 1e-3);
        CHECK(var[j] == doctest::Approx(want_var).epsilon(0.01));
      }
    }
    SUBCASE("convolution: V = conv(x^2, sigma^2)") {
      VariationalConv2d layer(1, 1, 2, Conv2dOptions{}, /*bias=*/false, VnqConfig{}, 12);
      fill(layer.theta(), {0.4f, -0.3f, 0.2f, 0.6f});
      layer.init_level_from_weights();
      fill(layer.log_sigma2(), {-1.0f, -2.0f, -0.5f, -3.0f});
      const std::vector<float> x = {1.5f, -1.0f, 0.5f, 2.0f};
      const Tensor y = layer(repeat_rows(x, 200000, {1, 2, 2}));  // [N,1,1,1]
      const auto [mean, var] = column_moments(y);
      double want_mean = 0, want_var = 0;
      for (int64_t i = 0; i < 4; ++i) {
        want_mean += x[i] * layer.theta().data()[i];
        want_var += x[i] * x[i] * std::exp(layer.log_sigma2().data()[i]);
      }
      CHECK(std::abs(mean[0] - want_mean) < 0.01 * std::sqrt(want_var) + 1e-3);
      CHECK(var[0] == doctest::Approx(want_var).epsilon(0.01));
    }
  }

  TEST_CASE("with sigma -> 0 or in means mode a variational layer is the plain layer") {
    NoGradGuard no_grad;
    Rng rng(3);
    VariationalLinear layer(5, 4, true, VnqConfig{}, 4);
    fill(layer.theta(), Tensor::normal({20}, 0.0f, 0.3f, rng).to_vector());
    fill(layer.bias(), {0.1f, -0.2f, 0.3f, 0.0f});
    fill(layer.log_sigma2(), std::vector<float>(20, -40.0f));
    layer.init_level_from_weights();
    const Tensor x = Tensor::normal({6, 5}, 0.0f, 1.0f, rng);
    const Tensor plain = linear(x, layer.theta(), layer.bias());
    layer.set_mode(VnqMode::kSample);
    const Tensor sampled = layer(x);
    layer.set_mode(VnqMode::kMeans);
    const Tensor means = layer(x);
    for (int64_t i = 0; i < plain.numel(); ++i) {
      CHECK(means.data()[i] == plain.data()[i]);
      CHECK(sampled.data()[i] == doctest::Approx(plain.data()[i]).epsilon(1e-3));
    }
  }

  TEST_CASE("means mode computes with the clipped theta_c, not the shadow theta (§4.3)") {
    NoGradGuard no_grad;
    VariationalLinear layer(2, 1, false, VnqConfig{}, 4);
    fill(layer.theta(), {0.9f, -0.05f});   // 0.9 lies outside a + b sigma = 0.5 + ~0
    fill(layer.log_sigma2(), {-40.0f, -40.0f});
    layer.level().data()[0] = 0.5f;
    layer.set_mode(VnqMode::kMeans);
    Tensor x = Tensor::zeros({1, 2});
    x.data()[0] = 1.0f;
    CHECK(layer(x).item() == doctest::Approx(0.5f).epsilon(1e-5));
  }

  TEST_CASE("the figures show theta_c, not the shadow theta, with the P&Q codes") {
    VariationalLinear layer(3, 1, false, VnqConfig{}, 4);
    fill(layer.theta(), {0.9f, -0.05f, 0.3f});  // 0.9 lies outside a + b sigma = 0.5 + ~0
    fill(layer.log_sigma2(), {-40.0f, -40.0f, -40.0f});
    layer.level().data()[0] = 0.5f;
    const LayerWeights shown = layer_weights("fc", layer);
    CHECK(shown.name == "fc");
    REQUIRE(shown.theta.size() == 3);
    CHECK(shown.theta[0] == doctest::Approx(0.5f).epsilon(1e-5));
    CHECK(shown.theta[1] == -0.05f);
    CHECK(shown.theta[2] == 0.3f);
    CHECK(shown.codes == std::vector<int8_t>{1, 0, 1});
    CHECK(shown.level == 0.5f);
    CHECK(shown.log_sigma2 == std::vector<float>{-40.0f, -40.0f, -40.0f});
  }

  TEST_CASE("variational layers backward matches finite differences with fixed noise") {
    // a = 1 keeps theta inside its clip band, where the straight-through gradient is exact.
    SUBCASE("linear") {
      auto layer = std::make_shared<VariationalLinear>(4, 3, true, VnqConfig{}, 21);
      Rng rng(5);
      fill(layer->theta(), Tensor::normal({12}, 0.0f, 0.3f, rng).to_vector());
      fill(layer->log_sigma2(), Tensor::uniform({12}, -3.0f, -1.0f, rng).to_vector());
      layer->level().data()[0] = 1.0f;
      const Tensor x = trit::testing::random_input({5, 4}, 8);
      trit::testing::gradcheck(
          [layer](const std::vector<Tensor>& in) {
            layer->reseed(77);
            return (*layer)(in[0]);
          },
          {x, layer->theta(), layer->log_sigma2(), layer->bias()}, {1e-3f, 2e-2f, 2e-3f, 3});
    }
    SUBCASE("convolution") {
      auto layer = std::make_shared<VariationalConv2d>(2, 3, 3, Conv2dOptions{1, 1, 1}, true,
                                                       VnqConfig{}, 22);
      Rng rng(6);
      fill(layer->theta(), Tensor::normal({54}, 0.0f, 0.3f, rng).to_vector());
      fill(layer->log_sigma2(), Tensor::uniform({54}, -3.0f, -1.0f, rng).to_vector());
      layer->level().data()[0] = 1.0f;
      const Tensor x = trit::testing::random_input({2, 2, 4, 4}, 9);
      trit::testing::gradcheck(
          [layer](const std::vector<Tensor>& in) {
            layer->reseed(78);
            return (*layer)(in[0]);
          },
          {x, layer->theta(), layer->log_sigma2(), layer->bias()}, {1e-3f, 2e-2f, 2e-3f, 4});
    }
  }

  TEST_CASE("pruning and quantisation rule (§9.5)") {
    const float ls = -8.0f, a = 0.2f;
    CHECK(vnq_pruned(0.005f, ls, 2.0f));
    CHECK(vnq_code(0.005f, ls, a, 2.0f) == 0);
    CHECK_FALSE(vnq_pruned(0.0075f, ls, 2.0f));
    CHECK(vnq_code(0.0075f, ls, a, 2.0f) == 0);
    CHECK(vnq_code(0.11f, ls, a, 2.0f) == 1);
    CHECK(vnq_code(-0.09f, ls, a, 2.0f) == 0);
    CHECK(vnq_code(-0.31f, ls, a, 2.0f) == -1);
    CHECK_FALSE(vnq_pruned(0.005f, ls, 3.0f));  // threshold 0.22313 sigma = 0.004087
    CHECK(vnq_code(0.005f, ls, a, 3.0f) == 0);  // still 0 by nearest value
  }

  TEST_CASE("layer statistics: funnel shares, distance to the codebook in sigmas, log alpha") {
    // log T = 2: a funnel is |theta - c| <= sigma / e = 0.368 sigma. a = 0.5.
    LayerWeights layer;
    layer.level = 0.5f;
    layer.log_threshold = 2.0f;
    const float theta[] = {0.01f, 0.5f, 0.3f, -0.52f};
    const float sigma[] = {1.0f, 1.0f, 0.1f, 0.2f};
    for (int i = 0; i < 4; ++i) {
      layer.theta.push_back(theta[i]);
      layer.log_sigma2.push_back(std::log(sigma[i] * sigma[i]));
      layer.codes.push_back(vnq_code(theta[i], layer.log_sigma2[i], 0.5f, 2.0f));
    }
    CHECK(layer.codes == std::vector<int8_t>{0, 1, 1, -1});
    const LayerStats s = layer_stats(layer);
    CHECK(s.weights == 4);
    CHECK(s.in_zero_funnel == 0.25);    // 0.01: pruned
    CHECK(s.in_level_funnels == 0.5);   // 0.5 (on +a) and -0.52 (0.02 < 0.074 from -a)
    CHECK(s.outside_funnels == 0.25);   // 0.3: 0.2 from +a, 2 sigma
    CHECK(s.nonzero == 0.75);
    // distances 0.01, 0, 2, 0.1 sigma: median (nearest rank 2 of 0..3) 0.1, 90th 2
    CHECK(s.distance_median == doctest::Approx(0.1).epsilon(1e-5));
    CHECK(s.distance_p90 == doctest::Approx(2.0).epsilon(1e-5));
    // log alpha = log sigma^2 - log theta^2: 9.21, 1.39, -2.20, -1.91
    CHECK(s.log_alpha_p10 == doctest::Approx(std::log(0.01) - std::log(0.09)).epsilon(1e-4));
    CHECK(s.log_alpha_median == doctest::Approx(-std::log(0.25)).epsilon(1e-4));
    CHECK(s.log_alpha_p90 == doctest::Approx(-std::log(1e-4)).epsilon(1e-4));
    // P&Q moves 0.01, 0, -0.2, -0.02 against |theta|^2 = 0.6105
    CHECK(s.relative_error == doctest::Approx(std::sqrt(0.0405 / 0.6105)).epsilon(1e-4));

    layer.codes.pop_back();
    CHECK_THROWS_WITH_AS(layer_stats(layer), doctest::Contains("codes"), Error);
    CHECK(layer_stats(LayerWeights{}).weights == 0);
  }

  TEST_CASE("codebook level initialisation: max |w| or the ternary fit (§2.1)") {
    // mean |w| = 3.1 / 6, threshold 0.7 * that = 0.3617: |w| above it are 1, 1, 0.9.
    const std::vector<float> w = {-1.0f, -0.1f, 0.0f, 0.1f, 1.0f, 0.9f};
    CHECK(ternary_fit_level(w.data(), 6) == doctest::Approx(2.9 / 3));
    CHECK(ternary_fit_level(w.data(), 0) == 0.0f);
    VnqConfig config;
    VariationalLinear max_abs(3, 2, false, config, 1);
    fill(max_abs.theta(), {-1.0f, -0.1f, 0.0f, 0.1f, 1.2f, 0.9f});
    max_abs.init_level_from_weights();
    CHECK(max_abs.level().item() == doctest::Approx(1.2f));
    config.level_init = VnqConfig::LevelInit::kTernaryFit;
    VariationalLinear fitted(3, 2, false, config, 1);
    fill(fitted.theta(), {0.01f, -0.02f, 0.0f, 0.01f, 0.02f, -0.01f});
    fitted.init_level_from_weights();  // fit 0.02 is below the floor a >= 0.05
    CHECK(fitted.level().item() == doctest::Approx(config.min_level));

    // |w| sorted: 0, 0.1, 0.1, 0.9, 1, 1.2; share 0.5 -> k = 3 -> a = 2 * 0.9, so that
    // exactly 0, 0.1, 0.1 (half of the weights) lie nearer 0 than +-a.
    const std::vector<float> v = {-1.0f, -0.1f, 0.0f, 0.1f, 1.2f, 0.9f};
    CHECK(zero_share_level(v.data(), 6, 0.5f) == doctest::Approx(1.8f));
    CHECK(zero_share_level(v.data(), 6, 0.9f) == doctest::Approx(2.4f));
    CHECK_THROWS_AS(zero_share_level(v.data(), 6, 1.0f), Error);
    config.level_init = VnqConfig::LevelInit::kZeroShare;
    config.zero_share = 0.5f;
    VariationalLinear shared(3, 2, false, config, 1);
    fill(shared.theta(), v);
    shared.init_level_from_weights();
    int64_t zeros = 0;
    for (const int8_t code : shared.ternary_codes()) zeros += code == 0;
    CHECK(zeros == 3);
  }

  TEST_CASE("a level learned as log a (§2.1 [R]): same KL, gradient a dKL/da, same floor") {
    VnqConfig log_config;
    log_config.level_param = VnqConfig::LevelParam::kLog;
    VariationalLinear raw(4, 3, false, VnqConfig{}, 1), log(4, 3, false, log_config, 1);
    CHECK(log.level_value() == doctest::Approx(log_config.min_level));  // the constructor's
    for (VariationalLinear* layer : {&raw, &log}) {
      fill(layer->theta(), testing::random_floats(12, 2, 0.3f));
      fill(layer->log_sigma2(), testing::random_floats(12, 3, 1.0f, -4.0f));
      layer->set_level(0.3f);
    }
    CHECK(log.level().item() == doctest::Approx(std::log(0.3)));
    CHECK(log.level_value() == doctest::Approx(0.3));
    const Tensor raw_kl = raw.kl();
    backward(raw_kl);  // the tape is released after each backward
    const Tensor log_kl = log.kl();
    backward(log_kl);
    CHECK(log_kl.item() == doctest::Approx(raw_kl.item()));
    const float d_a = raw.level().grad().item();
    REQUIRE(std::abs(d_a) > 1e-3f);
    CHECK(log.level().grad().item() == doctest::Approx(0.3 * d_a));  // d/d log a = a d/da
    for (int64_t i = 0; i < 12; ++i)
      CHECK(log.theta().grad().data()[i] == doctest::Approx(raw.theta().grad().data()[i]));

    // the floor a >= min_level holds in either parameterisation
    for (VariationalLinear* layer : {&raw, &log}) {
      layer->set_level(0.01f);
      layer->project();
      CHECK(layer->level_value() == doctest::Approx(log_config.min_level));
    }
    const auto names = [](const nn::Module& m) {
      std::vector<std::string> out;
      for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
      return out;
    };
    CHECK(names(raw) == std::vector<std::string>{"weight", "log_sigma2", "level"});
    CHECK(names(log) == std::vector<std::string>{"weight", "log_sigma2", "log_level"});
  }

  TEST_CASE("straight-through clip: clipped forward, identity backward") {
    Tensor theta = Tensor::from({3}, {-0.5f, 0.1f, 0.9f}).set_requires_grad(true);
    const Tensor bound = Tensor::full({3}, 0.3f);
    Tensor y = clip_straight_through(theta, bound);
    CHECK(y.to_vector() == std::vector<float>{-0.3f, 0.1f, 0.3f});
    backward(y, Tensor::from({3}, {1.0f, 2.0f, 3.0f}));
    CHECK(theta.grad().to_vector() == std::vector<float>{1.0f, 2.0f, 3.0f});
  }

  TEST_CASE("make_variational turns a trained LeNet-5 into its VNQ twin") {
    Rng rng(1);
    auto model = nn::make_model("lenet5", rng);
    const Tensor x = Tensor::normal({2, 1, 28, 28}, 0.0f, 1.0f, rng);
    model->eval();
    Tensor before;
    {
      NoGradGuard no_grad;
      before = (*model)(x);
    }
    const VariationalLayers layers = make_variational(*model, VnqConfig{}, 9);
    REQUIRE(layers.size() == 4);
    int64_t weights = 0;
    for (const auto& layer : layers) {
      weights += layer->theta().numel();
      float max_abs = 0.0f;
      for (float w : layer->theta().to_vector()) max_abs = std::max(max_abs, std::abs(w));
      CHECK(layer->level().item() == std::max(max_abs, 0.05f));
      CHECK(layer->log_sigma2().data()[0] == -8.0f);
    }
    CHECK(weights == 430500);  // spec §6.1
    set_mode(layers, VnqMode::kMeans);
    NoGradGuard no_grad;
    const Tensor after = (*model)(x);
    CHECK(after.to_vector() == before.to_vector());
    // the codebook levels form their own parameter group at 1/100 of the rate
    const auto groups = vnq_param_groups(*model, layers);
    CHECK(groups[1].params.size() == 4);
    CHECK(groups[1].lr_scale == doctest::Approx(0.01f));
    CHECK(groups[0].params.size() + groups[1].params.size() == model->parameters().size());
    // with a rate of their own, the log sigma^2 form a third group, out of the main one
    const auto three = vnq_param_groups(*model, layers, 0.01f, 10.0f);
    REQUIRE(three.size() == 3);
    REQUIRE(three[2].params.size() == 4);
    CHECK(three[2].lr_scale == 10.0f);
    for (size_t l = 0; l < layers.size(); ++l) {
      CHECK(three[2].params[l].is_same(layers[l]->log_sigma2()));
      for (const Tensor& p : three[0].params) CHECK_FALSE(p.is_same(layers[l]->log_sigma2()));
    }
    CHECK(three[0].params.size() + 4 + 4 == model->parameters().size());
  }

  TEST_CASE("KL warm-up is linear from 0 to 1") {
    CHECK(kl_weight(0.0, 15.0) == 0.0f);
    CHECK(kl_weight(7.5, 15.0) == doctest::Approx(0.5f));
    CHECK(kl_weight(30.0, 15.0) == 1.0f);
    CHECK(kl_weight(4.0, 15.0, 5.0) == 0.0f);
    CHECK(kl_weight(12.5, 15.0, 5.0) == doctest::Approx(0.5f));
  }
}
