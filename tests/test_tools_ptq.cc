// `trit ptq`, `trit eval` on its checkpoints and `trit ptq-study`, end to end through run_cli.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ptq/alphabet.h"
#include "tests/cli_fixtures.h"
#include "tools/cli.h"

using namespace trit;
using trit::cli::run_cli;
using trit::testing::TempDir;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// A tiny MNIST folder and an untrained LeNet-5 checkpoint in `dir`.
struct PtqFixture {
  TempDir dir;
  std::string data = dir.path() + "/mnist";
  std::string weights = dir.file("lenet5.safetensors");
  PtqFixture() {
    std::filesystem::create_directories(data);
    trit::testing::write_tiny_mnist(data);
    Rng rng(4);
    nn::save_checkpoint(weights, *nn::make_model("lenet5", rng), {});
  }
  // `trit ptq` on lenet5 weights (the model's default), 32 + 32 images unless `more` says.
  std::vector<std::string> args(const std::string& method, const std::string& levels,
                                std::vector<std::string> more = {"--calib", "32", "--holdout",
                                                                 "32"}) const {
    std::vector<std::string> a = {"trit",      "ptq",
                                  "--weights", weights,
                                  "--method",  method,
                                  "--levels",  levels,
                                  "--data",    data,
                                  "--threads", "1",
                                  "--save",    dir.file(method + ".safetensors")};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  std::vector<std::string> small(const std::string& method, const std::string& levels,
                                 std::vector<std::string> more) const {
    more.insert(more.end(), {"--calib", "32", "--holdout", "32"});
    return args(method, levels, more);
  }
};

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE("ptq usage errors exit with 2, runtime errors with 1") {
    PtqFixture f;
    CHECK(run_cli(f.args("msq", "1")) == 2);               // L < 2
    CHECK(run_cli(f.args("msq", "three")) == 2);           // not a number
    CHECK(run_cli(f.args("round-to-nearest", "3")) == 2);  // unknown method
    CHECK(run_cli(f.small("maly-saab", "3", {"--variant", "ball"})) == 2);
    CHECK(run_cli(f.small("gpfq", "3", {"--inputs", "digital"})) == 2);
    CHECK(run_cli({"trit", "ptq", "--weights", f.weights, "--method", "msq", "--levels", "3",
                   "--data", f.data}) == 2);  // no --save
    // weights of another model
    CHECK(run_cli(f.small("msq", "3", {"--model", "lenet5-classic"})) == 1);
    // more calibration + held-out images than the training set has (256)
    CHECK(run_cli(f.args("msq", "3", {"--calib", "200", "--holdout", "100"})) == 1);
    CHECK(run_cli(f.small("msq", "3", {"--keep-float", "fc9"})) == 1);
  }

  TEST_CASE("ptq with msq, maly-saab and gpfq; eval runs the checkpoints [slow]") {
    PtqFixture f;
    const std::string trained = f.dir.file("trained.safetensors");
    REQUIRE(run_cli({"trit", "train", "--model", "lenet5", "--data", f.data, "--epochs", "1",
                     "--batch", "32", "--seed", "5", "--threads", "1", "--save", trained}) == 0);
    for (const std::string method : {"msq", "maly-saab", "gpfq"}) {
      CAPTURE(method);
      const std::string report = f.dir.file(method + ".json");
      const std::string saved = f.dir.file(method + ".safetensors");
      std::vector<std::string> args = f.small(method, "3", {"--report", report});
      args[3] = trained;
      REQUIRE(run_cli(args) == 0);
      const nlohmann::json json = read_json(report);
      CHECK(json.at("bits") == 2);
      CHECK(json.at("levels") == 3);
      const double error = json.at("test_error");
      CHECK(error >= 0.0);
      CHECK(error <= 1.0);
      const nlohmann::json& layers = json.at("layers");
      REQUIRE(layers.size() == 4);

      // the checkpoint's quantised weights are alphabet values c {-1, 0, 1}
      const nn::SafetensorsContents contents = nn::load_safetensors(saved);
      CHECK(contents.metadata.at("kind") == "ptq");
      CHECK(contents.metadata.at("bits") == "2");
      for (const nlohmann::json& layer : layers) {
        const std::string name = layer.at("name");
        CAPTURE(name);
        for (const char* key : {"layer_error", "network_error"}) {
          for (const char* set : {"calibration", "held_out"}) {
            const double e = layer.at(key).at(set);
            CHECK(std::isfinite(e));
            CHECK(e >= 0.0);
          }
        }
        const Tensor& w = contents.tensors.at(name + ".weight");
        const quant::Alphabet ternary{layer.at("scale").get<double>(), 3};
        const std::set<float> values(w.data(), w.data() + w.numel());
        CHECK(values.size() <= 3);
        for (const float v : values)
          CHECK(v == static_cast<float>(ternary.level(ternary.nearest_index(v))));
      }

      // eval loads it as a model checkpoint and reports the same error, the bits and layers
      const std::string eval_report = f.dir.file(method + "-eval.json");
      REQUIRE(run_cli({"trit", "eval", "--model", "lenet5", "--weights", saved, "--data", f.data,
                       "--report", eval_report}) == 0);
      const nlohmann::json eval = read_json(eval_report);
      CHECK(eval.at("test_error").get<double>() == error);
      CHECK(eval.at("bits") == 2);
      CHECK(eval.at("method") == method);
      CHECK(eval.at("layers") == layers);
    }
  }

  TEST_CASE("ptq-study prints the E1 table and draws its plot") {
    TempDir dir;
    const std::string plot = dir.file("e1.png");
    CHECK(run_cli({"trit", "ptq-study", "--quick", "--only", "e1", "--plot", plot}) == 0);
    CHECK(std::filesystem::file_size(plot) > 1000);
    CHECK(run_cli({"trit", "ptq-study", "--only", "e3"}) == 2);
  }
}
