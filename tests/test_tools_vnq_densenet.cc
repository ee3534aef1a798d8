// `trit vnq`, `trit eval` (with --bn-reestimate), `trit quantize` (with --bn-reestimate) and
// `trit plot` on a tiny DenseNet and a tiny CIFAR-10, end to end through run_cli.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nn/safetensors.h"
#include "quant/vnq/checkpoint.h"
#include "tests/cli_fixtures.h"
#include "tools/cli.h"

using namespace trit;
using trit::cli::run_cli;
using trit::testing::TempDir;

namespace {

// The space-separated words of `text`, then `more`.
std::vector<std::string> words(const std::string& text, const std::vector<std::string>& more) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) out.push_back(word);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

// A tiny CIFAR-10, a densenet-tiny trained four epochs on it ("float.safetensors") and two
// VNQ epochs from there ("vnq.safetensors", first conv kept in float, augmentation, lr
// constant for one epoch then decaying).
struct DenseVnqFiles {
  TempDir dir;
  std::string data = dir.path() + "/cifar10", trained = dir.file("float.safetensors"),
              vnq = dir.file("vnq.safetensors"), metrics = dir.file("vnq.jsonl");
  DenseVnqFiles() {
    std::filesystem::create_directories(data);
    trit::testing::write_tiny_cifar10(data, 40, 24);
    REQUIRE(run_cli(words("trit train --model densenet-tiny --dataset cifar10 --epochs 4 "
                          "--batch 4 --lr 3e-3 --schedule constant --threads 1",
                          {"--data", data, "--save", trained})) == 0);
    REQUIRE(run_cli(words(
                "trit vnq --model densenet-tiny --dataset cifar10 --epochs 2 --batch 8 "
                "--lr 5e-3 --schedule linear --decay-start 1 --kl-warmup 1 --augment "
                "--keep-float features.conv0 --threads 1",
                {"--init", trained, "--data", data, "--save", vnq, "--metrics", metrics})) == 0);
  }
  std::vector<std::string> eval(const std::string& weights, const std::string& report) const {
    return {"trit",    "eval",   "--model", "densenet-tiny", "--weights", weights, "--dataset",
            "cifar10", "--data", data,      "--report",      report};
  }
};

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE(
      "VNQ on a tiny densenet: train, evaluate with BN re-estimation, quantize, plot [slow]") {
    DenseVnqFiles files;
    const nn::Metadata metadata = nn::load_safetensors(files.vnq).metadata;
    const quant::VnqRecord record = quant::parse_vnq_record(metadata, files.vnq);
    CHECK(record.config.keep_float == std::vector<std::string>{"features.conv0"});
    const nlohmann::json config = nlohmann::json::parse(metadata.at("config"));
    CHECK(config.at("decay_start").get<double>() == 1.0);
    CHECK(config.at("augment") == true);
    std::ifstream lines(files.metrics);  // the lr of each epoch's last step
    std::vector<float> lr;
    for (std::string line; std::getline(lines, line);) {
      const nlohmann::json metrics = nlohmann::json::parse(line);
      lr.push_back(metrics.at("lr").get<float>());
      const double outside = metrics.at("outside_funnels");  // a share of the weights
      CHECK(outside >= 0.0);
      CHECK(outside <= 1.0);
    }
    REQUIRE(lr.size() == 2);
    CHECK(lr[0] == 5e-3f);  // constant through epoch 1 (--decay-start 1), then decaying
    CHECK(lr[1] < 5e-3f);
    CHECK(lr[1] > 0.0f);

    // The paper's rows, then the means and P&Q rows after BN re-estimation on 32 images.
    const std::string vnq_report = files.dir.file("vnq.json");
    std::vector<std::string> args = files.eval(files.vnq, vnq_report);
    args.insert(args.end(), {"--bn-reestimate", "32"});
    REQUIRE(run_cli(args) == 0);
    const nlohmann::json vnq = read_json(vnq_report);
    const auto& rows = vnq.at("rows");
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].at("test_error").get<double>() < 0.8);  // it learnt: predictions vary
    CHECK(rows[1].at("test_error").get<double>() < 0.9);
    CHECK(rows[2].at("method") == "VNQ + P&Q");
    CHECK(rows[3].at("method") == "VNQ (no P&Q), BN re-estimated (32 train images)");
    CHECK(rows[4].at("method") == "VNQ + P&Q, BN re-estimated (32 train images)");
    CHECK(rows[2].at("bn_reestimated_images") == 0);
    CHECK(rows[4].at("bn_reestimated_images") == 32);
    CHECK(vnq.at("test_error") == rows[2].at("test_error"));  // top level: paper-faithful
    CHECK(vnq.at("bn_reestimated_images") == 0);
    CHECK(vnq.at("bn_reestimated") == rows[4]);
    CHECK(rows[4].at("nonzero_fraction") == rows[2].at("nonzero_fraction"));

    // Packed ternary checkpoints, as the paper's procedure and with BN statistics baked in.
    const std::string plain = files.dir.file("ternary.safetensors"),
                      baked = files.dir.file("ternary-bn.safetensors");
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--save", plain}) == 0);
    REQUIRE(run_cli({"trit", "quantize", files.vnq, "--save", baked, "--bn-reestimate", "32",
                     "--dataset", "cifar10", "--data", files.data}) == 0);
    CHECK(nn::load_safetensors(plain).metadata.count(quant::kBnReestimatedKey) == 0);
    CHECK(nn::load_safetensors(baked).metadata.at(quant::kBnReestimatedKey) == "32");

    const std::string plain_report = files.dir.file("plain.json");
    args = files.eval(plain, plain_report);
    args.insert(args.end(), {"--bn-reestimate", "32"});
    REQUIRE(run_cli(args) == 0);
    const nlohmann::json packed = read_json(plain_report);
    REQUIRE(packed.at("rows").size() == 3);  // original, packed, packed re-estimated
    CHECK(packed.at("rows")[1].at("method") == "VNQ + P&Q (packed 2-bit)");
    CHECK(packed.at("rows")[2].at("method") ==
          "VNQ + P&Q (packed 2-bit), BN re-estimated (32 train images)");
    // The packed model predicts as the VNQ model in P&Q mode, with and without re-estimation.
    CHECK(packed.at("test_error") == vnq.at("test_error"));
    CHECK(packed.at("bn_reestimated").at("test_error") == rows[4].at("test_error"));

    const std::string baked_report = files.dir.file("baked.json");
    REQUIRE(run_cli(files.eval(baked, baked_report)) == 0);
    const nlohmann::json from_baked = read_json(baked_report);
    REQUIRE(from_baked.at("rows").size() == 2);
    CHECK(from_baked.at("rows")[1].at("method") ==
          "VNQ + P&Q (packed 2-bit), BN re-estimated (32 train images)");
    CHECK(from_baked.at("bn_reestimated_images") == 32);
    CHECK(from_baked.at("test_error") == packed.at("bn_reestimated").at("test_error"));

    // --bn-reestimate is for quantised checkpoints only.
    args = files.eval(files.trained, files.dir.file("float.json"));
    args.insert(args.end(), {"--bn-reestimate", "32"});
    CHECK(run_cli(args) == 1);

    const std::string plots = files.dir.path() + "/plots";
    REQUIRE(run_cli({"trit", "plot", files.vnq, "--out", plots}) == 0);
    for (const std::string layer :
         {"features.denseblock1.denselayer1.conv1", "features.transition2.conv", "classifier"}) {
      CHECK(std::filesystem::exists(plots + "/" + layer + "_scatter.png"));
      CHECK(std::filesystem::exists(plots + "/" + layer + "_hist.png"));
    }
    CHECK_FALSE(std::filesystem::exists(plots + "/features.conv0_scatter.png"));  // kept float
  }
}
