// `trit quantize`, `trit eval` on ternary checkpoints and `trit plot`, end to end through
// run_cli, on a VNQ checkpoint written by the test (untrained LeNet-5 with spread variances).
#include <doctest/doctest.h>
#include <stb_image.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "tests/cli_fixtures.h"
#include "tests/vnq_fixtures.h"
#include "tools/cli.h"
#include "train/data.h"
#include "train/evaluate.h"

using namespace trit;
using trit::cli::run_cli;
using trit::testing::TempDir;

namespace {

constexpr double kOriginalError = 0.25;  // recorded in the VNQ record, carried over

// A data folder with tiny MNIST and a VNQ checkpoint ("vnq.safetensors") of a LeNet-5
// trained one epoch on it, log sigma^2 spread over [-10, -2] (no VNQ training: fast). The
// test labels are then redrawn at random: the model predicts the classes it learnt, so the
// test error lies well inside (0, 1) and equal errors mean equal predictions, not a tie at 0.
struct VnqFiles {
  TempDir dir;
  std::string data = dir.path() + "/mnist", vnq = dir.file("vnq.safetensors");
  VnqFiles() {
    std::filesystem::create_directories(data);
    trit::testing::write_tiny_mnist(data, 64, 64);
    Rng labels_rng(5);
    std::vector<uint8_t> labels(64);
    for (uint8_t& label : labels) label = static_cast<uint8_t>(labels_rng.below(10));
    trit::testing::write_bytes(data + "/t10k-labels-idx1-ubyte",
                               trit::testing::idx_bytes({64}, labels));
    const std::string trained = dir.file("float.safetensors");
    REQUIRE(run_cli({"trit", "train", "--data", data, "--epochs", "1", "--batch", "16", "--threads",
                     "1", "--save", trained}) == 0);
    Rng rng(21);
    std::shared_ptr<nn::Module> model = nn::make_model("lenet5", rng);
    nn::load_checkpoint(trained, *model);
    quant::VnqRecord record;
    record.original_error = kOriginalError;
    trit::testing::spread_log_sigma2(quant::make_variational(*model, record.config, 21),
                                     rng, -10.0f, -2.0f);
    nn::TrainingState state;
    state.extra = quant::vnq_metadata(record);
    nn::save_checkpoint(vnq, *model, state);
  }
};

// One VnqFiles for every test here (the training in it is the slow part, above all under the
// sanitizers); each test writes its outputs under names of its own.
const VnqFiles& vnq_files() {
  static const VnqFiles files;
  return files;
}

// The VNQ checkpoint of `files` with every conv1 log sigma^2 at its upper clip, so that P&Q
// prunes conv1 whole (|theta| << 0.37 sigma), saved as `name` in its folder.
std::string wide_conv1(const VnqFiles& files, const std::string& name) {
  const std::string path = files.dir.file(name);
  const quant::VnqModel vnq = quant::load_vnq_model(files.vnq, "");
  Tensor ls = vnq.layers.front()->log_sigma2();
  std::fill(ls.data(), ls.data() + ls.numel(), vnq.record.config.max_log_sigma2);
  nn::TrainingState state;
  state.extra = quant::vnq_metadata(vnq.record);
  nn::save_checkpoint(path, *vnq.model, state);
  return path;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

// Zero codes over all ternary layers of a ternary checkpoint of LeNet-5.
int64_t zero_codes(const std::string& path) {
  Rng rng(0);
  std::shared_ptr<nn::Module> model = nn::make_model("lenet5", rng);
  quant::load_ternary_checkpoint(path, *model);
  int64_t zeros = 0;
  for (const auto& [name, layer] : quant::find_ternary(*model))
    zeros += layer->weights().rows * layer->weights().cols - layer->nonzero();
  return zeros;
}

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE("trit eval runs a quantised checkpoint with the VNQ checkpoint's P&Q error") {
    const VnqFiles& files = vnq_files();
    const std::string ternary = files.dir.file("ternary.safetensors");
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--log-threshold", "2", "--save", ternary}) ==
            0);
    const nn::Metadata metadata = nn::load_safetensors(ternary).metadata;
    CHECK(metadata.at("kind") == "ternary");
    CHECK(metadata.at("model") == "lenet5");
    CHECK(std::stod(metadata.at("log_threshold")) == 2.0);
    CHECK(quant::parse_vnq_record(metadata, ternary).original_error == kOriginalError);

    const std::string vnq_report = files.dir.file("vnq.json");
    const std::string ternary_report = files.dir.file("ternary.json");
    REQUIRE(run_cli({"trit", "eval", "--weights", files.vnq, "--data", files.data, "--report",
                     vnq_report}) == 0);
    REQUIRE(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data, "--report",
                     ternary_report}) == 0);
    const auto vnq = read_json(vnq_report), packed = read_json(ternary_report);
    // The packed 2-bit path makes the same predictions as the VNQ model in kTernary mode.
    CHECK(packed.at("test_error").get<double>() == vnq.at("test_error").get<double>());
    CHECK(packed.at("nonzero_fraction").get<double>() == vnq.at("nonzero_fraction").get<double>());
    CHECK(packed.at("bits") == 2);
    CHECK(packed.at("test_error").get<double>() > 0.5);
    CHECK(packed.at("test_error").get<double>() < 0.99);
    const double nonzero = packed.at("nonzero_fraction");
    CHECK(nonzero > 0.0);
    CHECK(nonzero < 1.0);
    const auto& rows = packed.at("rows");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("method") == quant::kOriginalRow);
    CHECK(rows[0].at("test_error").get<double>() == kOriginalError);
    CHECK(rows[1].at("method") == "VNQ + P&Q (packed 2-bit)");

    // Running it twice gives the same result (deterministic).
    REQUIRE(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data, "--report",
                     ternary_report}) == 0);
    CHECK(read_json(ternary_report).at("test_error") == packed.at("test_error"));
  }

  TEST_CASE("trit eval --activation-bits 8 adds the 8-bit activation row beside the exact one") {
    const VnqFiles& files = vnq_files();
    const std::string ternary = files.dir.file("ternary-8bit.safetensors");
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--save", ternary}) == 0);
    const std::string exact_report = files.dir.file("exact.json");
    const std::string report = files.dir.file("8bit.json");
    REQUIRE(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data, "--report",
                     exact_report}) == 0);
    REQUIRE(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data, "--report",
                     report, "--activation-bits", "8", "--calibration-images", "32"}) == 0);
    const auto exact = read_json(exact_report), quantised = read_json(report);
    // The headline stays the exact path; the 8-bit row comes after it, nearly as accurate on
    // this model (a few of 64 test images may flip).
    CHECK(quantised.at("test_error") == exact.at("test_error"));
    const auto& row = quantised.at("activations_8bit");
    CHECK(row.at("method") == "VNQ + P&Q (packed 2-bit), 8-bit activations");
    CHECK(row.at("calibration_images") == 32);
    CHECK(row.at("quantised_convolutions") == 2);  // LeNet-5's two 5x5 convolutions
    CHECK(row.at("bits") == 2);
    CHECK(std::abs(row.at("test_error").get<double>() - exact.at("test_error").get<double>()) <=
          4.0 / 64);
    CHECK(quantised.at("rows").back().at("method") == row.at("method"));
    // Only 8 bits, only for ternary checkpoints.
    CHECK(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data,
                   "--activation-bits", "4"}) == 2);
    CHECK(run_cli({"trit", "eval", "--weights", files.vnq, "--data", files.data,
                   "--activation-bits", "8"}) == 1);
  }

  TEST_CASE("trit eval --first-layer-float adds the paper's \"w/o 1\" row") {
    const VnqFiles& files = vnq_files();
    // conv1 pruned whole, so the all-layers row sees a constant image and the "w/o 1" row,
    // conv1 at its means, does not.
    const std::string wide = wide_conv1(files, "wide_conv1.safetensors");
    const std::string report = files.dir.file("wo1.json");
    REQUIRE(run_cli({"trit", "eval", "--weights", wide, "--data", files.data, "--report", report,
                     "--first-layer-float"}) == 0);
    const auto json = read_json(report);
    const auto& rows = json.at("rows");
    REQUIRE(rows.size() == 4);
    CHECK(rows[1].at("method") == "VNQ (no P&Q)");
    CHECK(rows[2].at("method") == quant::kFirstLayerFloatRow);
    CHECK(rows[3].at("method") == "VNQ + P&Q");
    CHECK(json.at("test_error") == rows[3].at("test_error"));  // the all-layers row stays on top
    CHECK(rows[2].at("test_error") != rows[3].at("test_error"));

    // The same network built by hand: a float LeNet-5 with conv1 at the means and every other
    // weight at its ternary value; the non-zero share counts the codes of the other layers.
    const quant::VnqModel vnq = quant::load_vnq_model(wide, "");
    Rng rng(0);
    std::shared_ptr<nn::Module> float_net = nn::make_model("lenet5", rng);
    const nn::NamedTensors vnq_params = vnq.model->named_parameters();
    int64_t weights = 0, nonzero = 0;
    for (auto& [name, param] : float_net->named_parameters()) {
      Tensor value;  // biases as stored; weights as the mode of their layer computes with
      for (const auto& [vnq_name, vnq_param] : vnq_params)
        if (vnq_name == name) value = vnq_param;
      for (size_t l = 0; l < vnq.layers.size(); ++l) {
        if (name != vnq.names[l] + ".weight") continue;
        const bool first = l == 0;
        value =
            vnq.layers[l]->weights_for(first ? quant::VnqMode::kMeans : quant::VnqMode::kTernary);
        if (!first)
          for (int8_t code : vnq.layers[l]->ternary_codes()) nonzero += code != 0, ++weights;
      }
      const std::string parameter = name;  // REQUIRE_MESSAGE may not name a structured binding
      REQUIRE_MESSAGE(value.defined(), parameter);
      std::copy(value.data(), value.data() + value.numel(), param.data());
    }
    const train::DataSplits data = train::load_data("mnist", files.data);
    CHECK(rows[2].at("test_error").get<double>() ==
          doctest::Approx(1.0 - train::evaluate_accuracy(*float_net, data.test, data.normalization)));
    CHECK(rows[2].at("nonzero_fraction").get<double>() ==
          doctest::Approx(double(nonzero) / weights));
    CHECK(rows[2].at("bits") == 2);

    const std::string ternary = files.dir.file("ternary.safetensors");
    REQUIRE(run_cli({"trit", "quantize", wide, "--save", ternary}) == 0);
    CHECK(run_cli({"trit", "eval", "--weights", ternary, "--data", files.data,
                   "--first-layer-float"}) == 1);  // no float means left
  }

  TEST_CASE("trit eval --per-layer: funnel shares and the error of each layer P&Q'd alone") {
    const VnqFiles& files = vnq_files();
    // conv1 pruned whole: alone, it leaves a constant image.
    const std::string wide = wide_conv1(files, "wide_conv1_layers.safetensors");
    const std::string report = files.dir.file("layers.json");
    REQUIRE(run_cli({"trit", "eval", "--weights", wide, "--data", files.data, "--report", report,
                     "--per-layer"}) == 0);
    const auto json = read_json(report);
    const auto& layers = json.at("layers");
    REQUIRE(layers.size() == 4);
    const char* names[] = {"conv1", "conv2", "fc1", "fc2"};
    const int64_t sizes[] = {500, 25000, 400000, 5000};
    double nonzero = 0, weights = 0;
    for (size_t i = 0; i < 4; ++i) {
      const auto& layer = layers[i];
      CHECK(layer.at("layer") == names[i]);
      CHECK(layer.at("weights") == sizes[i]);
      CHECK(layer.at("in_zero_funnel").get<double>() + layer.at("in_level_funnels").get<double>() +
                layer.at("outside_funnels").get<double>() ==
            doctest::Approx(1.0));
      CHECK(layer.at("log_alpha_p10").get<double>() <= layer.at("log_alpha_median").get<double>());
      CHECK(layer.at("log_alpha_median").get<double>() <= layer.at("log_alpha_p90").get<double>());
      nonzero += layer.at("nonzero_fraction").get<double>() * sizes[i];
      weights += static_cast<double>(sizes[i]);
      const double alone = layer.at("test_error_alone");
      CHECK(alone >= 0.0);
      CHECK(alone <= 1.0);
    }
    // The layers' codes are the P&Q row's: their non-zero shares add up to its.
    CHECK(nonzero / weights == doctest::Approx(json.at("nonzero_fraction").get<double>()));
    CHECK(layers[0].at("in_zero_funnel") == 1.0);
    CHECK(layers[0].at("nonzero_fraction") == 0.0);
    // conv1 alone P&Q'd zeroes every image: a constant prediction, no better than the most
    // frequent test label, and not what the means network predicts.
    const train::DataSplits data = train::load_data("mnist", files.data);
    std::vector<int64_t> count(10, 0);
    for (int64_t i = 0; i < data.test.size(); ++i) ++count[data.test.label(i)];
    const double majority = static_cast<double>(*std::max_element(count.begin(), count.end()));
    CHECK(layers[0].at("test_error_alone").get<double>() >= 1.0 - majority / data.test.size());
    CHECK(layers[0].at("test_error_alone") != json.at("rows")[1].at("test_error"));
    // A float checkpoint has no posteriors to break down.
    CHECK(run_cli({"trit", "eval", "--weights", files.dir.file("float.safetensors"), "--data",
                   files.data, "--per-layer"}) == 1);
  }

  TEST_CASE("trit quantize prunes no more at log T 3 than at log T 2, and checks its input") {
    const VnqFiles& files = vnq_files();
    const std::string at2 = files.dir.file("t2.safetensors"),
                      at3 = files.dir.file("t3.safetensors");
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--log-threshold", "2", "--save", at2}) == 0);
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--log-threshold", "3", "--save", at3,
                     "--model", "lenet5"}) == 0);
    const int64_t zeros2 = zero_codes(at2), zeros3 = zero_codes(at3);
    CHECK(zeros3 <= zeros2);
    CHECK(zeros3 < zeros2);  // the spread variances put some weights between the thresholds
    CHECK(zeros3 > 0);

    CHECK(run_cli({"trit", "quantize", files.vnq}) == 2);           // no --save
    CHECK(run_cli({"trit", "quantize", at2, "--save", at3}) == 1);  // not a VNQ checkpoint
    CHECK(run_cli({"trit", "quantize", files.vnq, "--save", at3, "--model", "lenet5-classic"}) ==
          1);
    CHECK(zero_codes(at3) == zeros3);  // a failed run leaves the previous file intact
  }

  TEST_CASE("trit curves draws several runs on the same panels, each in its own colour") {
    TempDir dir;
    // Two VNQ-like runs: the second's curves lie elsewhere, so both must show.
    for (const auto& [name, offset] : {std::pair{"paper", 0.0}, std::pair{"other", 0.3}}) {
      std::ofstream out(dir.file(std::string(name) + ".jsonl"));
      for (int epoch = 1; epoch <= 4; ++epoch)
        out << nlohmann::json{{"epoch", epoch},
                              {"loss", 2.0 - 0.3 * epoch + offset},
                              {"train_accuracy", 0.5 + 0.1 * epoch - offset},
                              {"test_accuracy", 0.45 + 0.1 * epoch - offset},
                              {"lr", 0.005 * (1 - offset)},
                              {"means_test_error", 0.3 - 0.02 * epoch + offset / 3},
                              {"pq_test_error", 0.8 - 0.1 * epoch + offset / 3},
                              {"nonzero_fraction", 0.1 + 0.05 * epoch + offset},
                              {"outside_funnels", 0.2 - 0.02 * epoch},
                              {"kl", 5e4 - 1e3 * epoch}}
                   .dump()
            << "\n";
    }
    const std::string one = dir.file("one.png"), both = dir.file("both.png");
    REQUIRE(run_cli({"trit", "curves", dir.file("paper.jsonl"), "--out", one}) == 0);
    REQUIRE(run_cli({"trit", "curves", dir.file("paper.jsonl"), dir.file("other.jsonl"), "--out",
                     both}) == 0);
    const auto colours = [](const std::string& path) {
      int width = 0, height = 0, channels = 0;
      unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &channels, 3);
      REQUIRE(pixels != nullptr);
      CHECK(width == 3 * 640);  // six panels, three columns
      CHECK(height == 2 * 420);
      std::set<int> seen;  // distinct non-grey colours (the series)
      for (int64_t i = 0; i < int64_t(width) * height; ++i) {
        const unsigned char r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
        if (r != g || g != b) seen.insert((r << 16) | (g << 8) | b);
      }
      stbi_image_free(pixels);
      return seen.size();
    };
    CHECK(colours(both) > colours(one));
    // A broken file among them: exit 1, naming it.
    std::ofstream(dir.file("broken.jsonl")) << "{\"epoch\": 1, \"loss\": \n";
    CHECK(run_cli({"trit", "curves", dir.file("paper.jsonl"), dir.file("broken.jsonl"), "--out",
                   dir.file("x.png")}) == 1);
  }

  TEST_CASE("trit plot writes a scatter and a histogram per layer that are not blank") {
    const VnqFiles& files = vnq_files();
    const std::string out = files.dir.path() + "/plots";
    REQUIRE(run_cli({"trit", "plot", files.vnq, "--out", out}) == 0);
    for (const std::string layer : {"conv1", "conv2", "fc1", "fc2"}) {
      for (const std::string kind : {"_scatter.png", "_hist.png"}) {
        const std::string path = out + "/" + layer + kind;
        CAPTURE(path);
        int width = 0, height = 0, channels = 0;
        unsigned char* pixels = stbi_load(path.c_str(), &width, &height, &channels, 3);
        REQUIRE(pixels != nullptr);
        CHECK(width == 1300);
        CHECK(height == 720);
        int64_t inked = 0;
        std::set<int> colours;  // distinct non-grey colours (the series)
        for (int64_t i = 0; i < int64_t(width) * height; ++i) {
          const unsigned char r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
          inked += !(r == 255 && g == 255 && b == 255);
          if (r != g || g != b) colours.insert((r << 16) | (g << 8) | b);
        }
        stbi_image_free(pixels);
        CHECK(inked > int64_t(width) * height / 50);
        CHECK(colours.size() >= 2);
      }
    }
    // A ternary checkpoint has no theta or sigma: histograms only.
    const std::string ternary = files.dir.file("ternary.safetensors");
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--save", ternary}) == 0);
    const std::string out2 = files.dir.path() + "/plots2";
    REQUIRE(run_cli({"trit", "plot", ternary, "--out", out2}) == 0);
    CHECK(std::filesystem::exists(out2 + "/fc1_hist.png"));
    CHECK_FALSE(std::filesystem::exists(out2 + "/fc1_scatter.png"));
    CHECK(run_cli({"trit", "plot", files.data + "/t10k-labels-idx1-ubyte", "--out", out2}) == 1);
    // a float checkpoint is refused before anything is created
    const std::string out3 = files.dir.path() + "/plots3";
    CHECK(run_cli({"trit", "plot", files.dir.file("float.safetensors"), "--out", out3}) == 1);
    CHECK_FALSE(std::filesystem::exists(out3));
  }
}
