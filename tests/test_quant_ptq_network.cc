// Whole-network post-training quantisation (quant/ptq/network.h, ptq.md §5): layer data
// (captured inputs, im2col rows, weight layout), BatchNorm folding, and quantise_network on
// LeNet-5 with every method.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <set>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "datasets/mnist.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/models/registry.h"
#include "nn/sequential.h"
#include "quant/ptq/fold_batch_norm.h"
#include "quant/ptq/layer_rows.h"
#include "quant/ptq/network.h"
#include "quant/ptq/network_layers.h"
#include "tests/cli_fixtures.h"

using namespace trit;
using namespace trit::quant;
using trit::testing::TempDir;

namespace {

Eigen::MatrixXd bias_row(const QuantLayer& layer, Eigen::Index rows) {
  Eigen::RowVectorXd b = Eigen::RowVectorXd::Zero(layer.n1);
  for (int64_t o = 0; o < layer.n1; ++o) b(o) = layer.bias.data()[o];
  return b.replicate(rows, 1);
}

// The layer's own output at the sampled rows: [rows, N1].
Eigen::MatrixXd layer_output_at(const QuantLayer& layer, const Tensor& input,
                                const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  const Tensor out = (*layer.module)(input);
  const int64_t positions = layer.conv ? out.size(2) * out.size(3) : 1;
  Eigen::MatrixXd y(static_cast<Eigen::Index>(rows.size()), layer.n1);
  for (size_t k = 0; k < rows.size(); ++k) {
    const int64_t image = rows[k] / positions, position = rows[k] % positions;
    for (int64_t o = 0; o < layer.n1; ++o)
      y(static_cast<Eigen::Index>(k), o) =
          out.data()[(image * layer.n1 + o) * positions + position];
  }
  return y;
}

// Sorted distinct values of a tensor.
std::set<float> distinct(const Tensor& t) { return {t.data(), t.data() + t.numel()}; }

// Every value of `t` is a level of the alphabet {c (2k - (L-1)) / (L-1)} (as float).
bool in_alphabet(const Tensor& t, double c, int levels) {
  const Alphabet alphabet{c, levels};
  return std::all_of(t.data(), t.data() + t.numel(), [&](float v) {
    return v == static_cast<float>(alphabet.level(alphabet.nearest_index(v)));
  });
}

struct TinyMnist {
  TempDir dir;
  datasets::ImageDataset train;
  datasets::Normalization normalization;
  TinyMnist() {
    trit::testing::write_tiny_mnist(dir.path());
    train = datasets::load_mnist(dir.path(), datasets::Split::kTrain);
    normalization = datasets::channel_mean_std(train);
  }
};

std::shared_ptr<nn::Module> lenet(uint64_t seed = 3, const std::string& name = "lenet5") {
  Rng rng(seed);
  return nn::make_model(name, rng);
}

// The smaller LeNet (conv1 with padding 2, three Linear layers): quick end-to-end runs.
std::shared_ptr<nn::Module> classic(uint64_t seed = 3) { return lenet(seed, "lenet5-classic"); }

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("captured inputs are the layers' inputs in the forward pass") {
    auto model = lenet();
    Rng rng(5);
    const Tensor images = Tensor::normal({5, 1, 28, 28}, 0.0f, 1.0f, rng);
    const std::vector<QuantLayer> layers = quantisable_layers(*model);
    REQUIRE(layers.size() == 4);
    CHECK(layers[0].path == "conv1");
    CHECK(layers[3].path == "fc2");
    const std::vector<Tensor> inputs = capture_inputs(*model, layers, images, 2);  // 3 batches
    CHECK(inputs[0].to_vector() == images.to_vector());
    // fc1's input: children conv1..flatten run by hand
    NoGradGuard no_grad;
    model->eval();
    Tensor x = images;
    for (size_t k = 0; k < 5; ++k) x = (*model->children()[k].second)(x);
    CHECK(inputs[2].shape() == Shape{5, 800});
    CHECK(inputs[2].to_vector() == x.to_vector());
    // the layers are back in place
    CHECK(model->children()[0].second.get() == layers[0].module.get());
  }

  TEST_CASE("im2col rows times W plus the bias give the layer's outputs") {
    for (const std::string name : {"lenet5", "lenet5-classic"}) {
      CAPTURE(name);
      auto model = lenet(3, name);
      Rng rng(6);
      const Tensor images = Tensor::normal({3, 1, 28, 28}, 0.0f, 1.0f, rng);
      const std::vector<QuantLayer> layers = quantisable_layers(*model);
      const std::vector<Tensor> inputs = capture_inputs(*model, layers, images);
      for (size_t l = 0; l < layers.size(); ++l) {
        CAPTURE(layers[l].path);
        const int64_t available = available_rows(layers[l], inputs[l]);
        const int64_t planes[2][2] = {{24 * 24, 8 * 8}, {28 * 28, 10 * 10}};  // padding 2: 28
        CHECK(available == 3 * (l < 2 ? planes[name == "lenet5" ? 0 : 1][l] : 1));
        const std::vector<int64_t> rows = sample_rows(available, 40, 11 + l);
        const Eigen::MatrixXd x = layer_rows(layers[l], inputs[l], rows);
        const Eigen::MatrixXd w = weight_matrix(layers[l]);
        CHECK(w.rows() == layers[l].n0);
        const Eigen::MatrixXd expected = layer_output_at(layers[l], inputs[l], rows);
        const Eigen::MatrixXd ours = x * w + bias_row(layers[l], x.rows());
        CHECK((ours - expected).norm() <= 1e-5 * expected.norm());
      }
    }
  }

  TEST_CASE("set_weight_matrix writes W back in the layer's layout") {
    auto model = lenet();
    const QuantLayer conv2 = quantisable_layers(*model)[1];
    const Eigen::MatrixXd w = weight_matrix(conv2);
    set_weight_matrix(conv2, 2.0 * w);
    CHECK(weight_matrix(conv2) == (2.0 * w).cast<float>().cast<double>());
    CHECK_THROWS_AS(set_weight_matrix(conv2, w.transpose()), Error);
  }

  TEST_CASE("sample_rows draws distinct sorted rows from the seed alone") {
    const std::vector<int64_t> a = sample_rows(1000, 50, 1), b = sample_rows(1000, 50, 1);
    CHECK(a == b);
    CHECK(a != sample_rows(1000, 50, 2));
    CHECK(a.size() == 50);
    CHECK(std::is_sorted(a.begin(), a.end()));
    CHECK(std::adjacent_find(a.begin(), a.end()) == a.end());
    CHECK(a.back() < 1000);
    CHECK(sample_rows(7, 50, 1) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
  }

  TEST_CASE("BatchNorm folding keeps evaluation outputs and moves the scale into the conv") {
    Rng rng(8);
    auto conv = std::make_shared<nn::Conv2d>(3, 4, 3, rng);
    auto bn = std::make_shared<nn::BatchNorm2d>(4);
    nn::Sequential net;
    net.add("conv", conv).add("bn", bn);
    {
      NoGradGuard no_grad;
      for (int64_t c = 0; c < 4; ++c) {
        bn->weight().data()[c] = 0.5f + 0.3f * c - (c == 2 ? 2.0f : 0.0f);  // one negative
        bn->bias().data()[c] = 0.1f * c;
        bn->running_mean().data()[c] = 0.2f - 0.1f * c;
        bn->running_var().data()[c] = 0.3f + c;
      }
    }
    net.eval();
    const Tensor x = Tensor::normal({2, 3, 6, 6}, 0.0f, 1.0f, rng);
    NoGradGuard no_grad;
    const std::vector<float> before = net(x).to_vector();
    const std::vector<float> weights = conv->weight().to_vector();
    CHECK(fold_batch_norms(net) == 1);
    const std::vector<float> after = net(x).to_vector();
    for (size_t i = 0; i < before.size(); ++i)
      CHECK(after[i] == doctest::Approx(before[i]).epsilon(1e-5));
    CHECK(bn->weight().to_vector() == std::vector<float>(4, 1.0f));
    CHECK(conv->weight().to_vector() != weights);
    CHECK(fold_batch_norms(*lenet()) == 0);  // LeNet-5 has none
  }

  TEST_CASE("absorbing the upstream error makes Xq W' = X W when Xq has full row rank") {
    const Eigen::MatrixXd x = Eigen::MatrixXd::Random(20, 60);
    const Eigen::MatrixXd xq = x + 0.1 * Eigen::MatrixXd::Random(20, 60);
    const Eigen::MatrixXd w = Eigen::MatrixXd::Random(60, 5);
    const Eigen::MatrixXd exact = absorb_upstream_error(x, xq, w);
    CHECK((xq * exact - x * w).norm() <= 1e-9 * (x * w).norm());
    CHECK(absorb_upstream_error(x, x, w).isApprox(w));
    // ridge: a smaller correction that still removes most of the upstream error, in both the
    // m < N0 (dual) and the m > N0 (primal) form
    for (const Eigen::Index m : {20, 90}) {
      CAPTURE(m);
      const Eigen::MatrixXd xm = Eigen::MatrixXd::Random(m, 60);
      const Eigen::MatrixXd xqm = xm + 0.1 * Eigen::MatrixXd::Random(m, 60);
      const Eigen::MatrixXd full = absorb_upstream_error(xm, xqm, w);
      const Eigen::MatrixXd ridge = absorb_upstream_error(xm, xqm, w, 0.1);
      const double before = (xqm * w - xm * w).norm();
      CHECK((ridge - w).norm() < (full - w).norm());
      // m < N0 removes it all without damping; m > N0 leaves the part outside range(Xq)
      CHECK((xqm * ridge - xm * w).norm() < (m < 60 ? 0.5 : 0.9) * before);
      CHECK((xqm * full - xm * w).norm() <= (xqm * ridge - xm * w).norm());
    }
  }

  TEST_CASE("every method puts every quantised weight in its alphabet; biases stay float") {
    TinyMnist data;
    const CalibrationImages images = draw_calibration(data.train, data.normalization, 24, 16, 1);
    CHECK(images.calibration.shape() == Shape{24, 1, 28, 28});
    CHECK(images.held_out.shape() == Shape{16, 1, 28, 28});
    struct Case {
      PtqMethod method;
      int levels;
      TargetSet variant;
    };
    for (const Case c :
         {Case{PtqMethod::msq, 3, TargetSet::grid}, Case{PtqMethod::maly_saab, 2, TargetSet::grid},
          Case{PtqMethod::maly_saab, 3, TargetSet::box}, Case{PtqMethod::gpfq, 2, TargetSet::grid},
          Case{PtqMethod::optq, 3, TargetSet::grid}}) {
      const PtqMethod method = c.method;
      const int levels = c.levels;
      CAPTURE(ptq_method_name(method));
      CAPTURE(levels);
      auto model = classic();
      const std::vector<float> fc1_bias = quantisable_layers(*model)[2].bias.to_vector();
      NetworkPtqOptions options;
      options.method = method;
      options.levels = levels;
      options.variant = c.variant;
      const NetworkPtqReport report =
          quantise_network(*model, images.calibration, images.held_out, options);
      const std::vector<QuantLayer> layers = quantisable_layers(*model);
      REQUIRE(report.layers.size() == layers.size());
      for (size_t l = 0; l < layers.size(); ++l) {
        const LayerPtqReport& r = report.layers[l];
        CAPTURE(r.name);
        CHECK(r.quantised);
        CHECK(distinct(layers[l].weight).size() <= static_cast<size_t>(levels));
        CHECK(in_alphabet(layers[l].weight, r.scale, levels));
        CHECK(r.held_out_rows == 16);
        for (const double e : {r.layer_error_calibration, r.layer_error_held_out,
                               r.network_error_calibration, r.network_error_held_out}) {
          CHECK(std::isfinite(e));
          CHECK(e > 0.0);
        }
        CHECK((r.free_entries >= 0) == (method == PtqMethod::maly_saab));
        if (method == PtqMethod::maly_saab) CHECK(r.free_entries <= r.rows);
      }
      CHECK(layers[2].bias.to_vector() == fc1_bias);
    }
  }

  TEST_CASE("data-driven methods beat MSQ in-sample on a wide layer (fc1, m << N0)") {
    TinyMnist data;
    const CalibrationImages images = draw_calibration(data.train, data.normalization, 24, 16, 2);
    const auto fc1_error = [&](PtqMethod method) {
      auto model = classic();  // fc1: 400 -> 120, 24 rows
      NetworkPtqOptions options;
      options.method = method;
      options.levels = 3;
      options.inputs = LayerInputs::analog;
      return quantise_network(*model, images.calibration, images.held_out, options)
          .layers[2]
          .layer_error_calibration;
    };
    const double msq_error = fc1_error(PtqMethod::msq);
    CAPTURE(msq_error);
    CHECK(fc1_error(PtqMethod::maly_saab) < 0.5 * msq_error);
    CHECK(fc1_error(PtqMethod::gpfq) < 0.5 * msq_error);
    CHECK(fc1_error(PtqMethod::optq) < 0.5 * msq_error);
  }

  TEST_CASE("keep_float layers are untouched; the same seed gives the same weights") {
    TinyMnist data;
    const CalibrationImages images = draw_calibration(data.train, data.normalization, 16, 8, 3);
    NetworkPtqOptions options;
    options.method = PtqMethod::gpfq;
    options.levels = 7;
    options.keep_float = {"fc2"};
    auto a = lenet(), b = lenet();
    const std::vector<float> fc2 = quantisable_layers(*a)[3].weight.to_vector();
    const NetworkPtqReport report =
        quantise_network(*a, images.calibration, images.held_out, options);
    quantise_network(*b, images.calibration, images.held_out, options);
    CHECK_FALSE(report.layers[3].quantised);
    CHECK(report.layers[3].layer_error_calibration == 0.0);
    CHECK(report.layers[3].network_error_calibration > 0.0);  // upstream layers are quantised
    CHECK(quantisable_layers(*a)[3].weight.to_vector() == fc2);
    for (const auto& [name, tensor] : a->state_dict()) {
      const std::string& entry = name;  // CAPTURE may not name a structured binding
      CAPTURE(entry);
      CHECK(tensor.to_vector() == b->state_dict().at(name).to_vector());
    }
  }

  TEST_CASE("whole-network quantiser errors") {
    TinyMnist data;
    const CalibrationImages images = draw_calibration(data.train, data.normalization, 8, 8, 3);
    NetworkPtqOptions options;
    options.levels = 1;
    CHECK_THROWS_AS(quantise_network(*lenet(), images.calibration, images.held_out, options),
                    Error);
    options.levels = 3;
    options.keep_float = {"fc9"};
    CHECK_THROWS_AS(quantise_network(*lenet(), images.calibration, images.held_out, options),
                    Error);
    CHECK_THROWS_AS(draw_calibration(data.train, data.normalization, 250, 10, 0), Error);
    CHECK_THROWS_AS(ptq_method_from_name("round"), Error);
    CHECK(ptq_method_from_name("maly-saab") == PtqMethod::maly_saab);
    Rng rng(1);
    Conv2dOptions grouped;
    grouped.groups = 2;
    nn::Sequential net;
    net.add("conv", std::make_shared<nn::Conv2d>(4, 4, 3, rng, grouped));
    CHECK_THROWS_AS(quantisable_layers(net), Error);
    // DenseNet calls the modules registered as its layers (nn/models/densenet.h), so the
    // recorders swapped in see every one once, with the channels it reads.
    auto densenet = lenet(1, "densenet-tiny");
    const Tensor cifar = Tensor::normal({2, 3, 32, 32}, 0.0f, 1.0f, rng);
    const std::vector<QuantLayer> dense_layers = quantisable_layers(*densenet);
    const std::vector<Tensor> inputs = capture_inputs(*densenet, dense_layers, cifar);
    REQUIRE(inputs.size() == 10);
    CHECK(dense_layers[1].path == "features.denseblock1.denselayer1.conv1");
    CHECK(inputs[1].shape() == Shape{2, 8, 32, 32});  // the stem's 8 channels
    CHECK(inputs.back().shape() == Shape{2, 9});      // the classifier's 9 features
  }
}
