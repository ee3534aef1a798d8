// The trit CLI end to end, through run_cli (exactly what users run): exit codes, messages,
// training, bit-identical resume, evaluation reports, and what survives a failed run.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "nn/safetensors.h"
#include "quant/vnq/checkpoint.h"
#include "tests/cli_fixtures.h"
#include "tools/cli.h"
#include "tools/commands/commands.h"
#include "train/config.h"
#include "train/recipe.h"

using namespace trit;
using trit::cli::run_cli;
using trit::testing::TempDir;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> train_args(const std::string& data, const std::string& epochs,
                                    const std::string& seed = "5") {
  return {"trit",     "train",  "--model", "lenet5", "--dataset", "mnist", "--data",  data,
          "--batch",  "32",     "--epochs", epochs,  "--seed",    seed,    "--threads", "1"};
}

// max |x| over the parameter `name` of `model` (0 when it has no such parameter).
float largest_abs(const nn::Module& model, const std::string& name) {
  float largest = 0;
  for (const auto& [parameter, tensor] : model.named_parameters())
    if (parameter == name)
      for (float x : tensor.to_vector()) largest = std::max(largest, std::fabs(x));
  return largest;
}

std::vector<std::string> with(std::vector<std::string> args, std::vector<std::string> more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE("usage errors exit with 2, help and version with 0") {
    CHECK(run_cli({"trit", "--version"}) == 0);
    CHECK(run_cli({"trit", "train", "--help"}) == 0);
    CHECK(run_cli({"trit", "train", "--no-such-flag"}) == 2);
    CHECK(run_cli({"trit", "train", "--epochs", "many"}) == 2);
    CHECK(run_cli({"trit", "train", "--dataset", "imagenet"}) == 2);
    CHECK(run_cli({"trit", "frobnicate"}) == 2);
    CHECK(run_cli({"trit", "eval", "--model", "lenet5"}) == 2);  // --weights is required
    CHECK(run_cli({"trit", "train", "--lr", "0"}) == 2);
    CHECK(run_cli({"trit", "train", "--threads", "-1"}) == 2);
    CHECK(run_cli({"trit", "train", "--weight-init", "he"}) == 2);
    // one short line each, the flag's name put in front by CLI11
    const auto check = [](const CLI::Validator& validator, std::string text) {
      return validator(text);
    };
    CHECK(check(cli::kPositive, "0") == "0 is not positive");
    CHECK(check(cli::kPositive, "1e-3").empty());
    CHECK(check(cli::kPositive, "fast") == "fast is not a number");
    CHECK(check(cli::kNonNegative, "0").empty());
    CHECK(check(cli::kNonNegative, "-2") == "-2 is not zero or positive");
  }

  TEST_CASE("missing data is a runtime error (exit 1)") {
    TempDir dir;
    CHECK(run_cli(with(train_args(dir.path() + "/nothing-here", "1"), {})) == 1);
  }

  TEST_CASE("--weight-init glorot draws Keras' Glorot init; default keeps PyTorch's") {
    train::TrainConfig config;  // lenet5: fc1 is 800 -> 500
    Rng rng(3);
    auto pytorch = train::make_initialised_model(config, rng);
    CHECK(largest_abs(*pytorch, "fc1.weight") <= 1 / std::sqrt(800.0f));  // U(+-1/sqrt(fan_in))
    config.weight_init = "glorot";
    auto glorot = train::make_initialised_model(config, rng);
    const float bound = std::sqrt(6.0f / (800 + 500));  // 0.068
    CHECK(largest_abs(*glorot, "fc1.weight") <= bound);
    CHECK(largest_abs(*glorot, "fc1.weight") > 0.99f * bound);
    for (const auto& [name, p] : glorot->named_parameters())
      if (name.find("bias") != std::string::npos) CHECK(largest_abs(*glorot, name) == 0.0f);
    config.weight_init = "he";
    CHECK_THROWS_WITH(train::make_initialised_model(config, rng),
                      "--weight-init: unknown rule 'he'; known: default, glorot");
  }

  TEST_CASE("strip keeps the model and its metadata, drops the optimiser state") {
    TempDir dir;
    trit::testing::write_tiny_mnist(dir.path());
    const std::string trained = dir.path() + "/trained.safetensors";
    const std::string stripped = dir.path() + "/model.safetensors";
    REQUIRE(run_cli(with(train_args(dir.path(), "1"),
                         {"--optimizer", "adam", "--save", trained})) == 0);
    REQUIRE(run_cli({"trit", "strip", trained, "--save", stripped}) == 0);
    const nn::SafetensorsContents before = nn::load_safetensors(trained);
    const nn::SafetensorsContents after = nn::load_safetensors(stripped);
    size_t model_tensors = 0;
    for (const auto& [name, tensor] : before.tensors) {
      if (name.rfind("optimizer.", 0) == 0) {
        CHECK(after.tensors.count(name) == 0);
        continue;
      }
      ++model_tensors;
      REQUIRE(after.tensors.count(name) == 1);
      CHECK(after.tensors.at(name).to_vector() == tensor.to_vector());
    }
    CHECK(model_tensors == after.tensors.size());
    CHECK(model_tensors < before.tensors.size());
    nn::Metadata expected = before.metadata;
    expected["optimizer"] = "";
    CHECK(after.metadata == expected);
    // The stripped model evaluates as the original does, and refuses to resume.
    const std::string report_before = dir.path() + "/before.json";
    const std::string report_after = dir.path() + "/after.json";
    for (const auto& [weights, report] :
         {std::pair{trained, report_before}, std::pair{stripped, report_after}})
      REQUIRE(run_cli({"trit", "eval", "--weights", weights, "--data", dir.path(), "--report",
                       report, "--threads", "1"}) == 0);
    CHECK(run_cli({"trit", "eval", "--weights", stripped, "--threads", "-1"}) == 2);
    CHECK(nlohmann::json::parse(read_file(report_before))["test_error"] ==
          nlohmann::json::parse(read_file(report_after))["test_error"]);
    CHECK(run_cli(with(train_args(dir.path(), "2"),
                       {"--optimizer", "adam", "--resume", stripped, "--save",
                        dir.path() + "/more.safetensors"})) == 1);
    // Stripping a file onto itself would lose its optimiser state: refused, file unchanged.
    const std::string bytes = read_file(trained);
    CHECK(run_cli({"trit", "strip", trained, "--save", trained}) == 1);
    CHECK(read_file(trained) == bytes);
    CHECK(run_cli({"trit", "strip", dir.path() + "/t10k-labels-idx1-ubyte", "--save",
                   dir.path() + "/x.safetensors"}) == 1);  // not a checkpoint
  }

  TEST_CASE("summary runs for every registered model") {
    CHECK(run_cli({"trit", "summary", "--model", "lenet5"}) == 0);
    CHECK(run_cli({"trit", "summary", "--model", "lenet5-classic"}) == 0);
    CHECK(run_cli({"trit", "summary", "--model", "no-such-model"}) == 2);
  }

  TEST_CASE("train, resume bit-identically, evaluate, and survive failures [slow]") {
    TempDir dir;
    const std::string data = dir.path() + "/mnist";
    std::filesystem::create_directories(data);
    trit::testing::write_tiny_mnist(data);
    const std::string straight = dir.file("straight.safetensors");
    const std::string halves = dir.file("halves.safetensors");

    REQUIRE(run_cli(with(train_args(data, "2"), {"--save", straight, "--metrics",
                                                 dir.file("metrics.jsonl")})) == 0);
    REQUIRE(run_cli(with(train_args(data, "2"), {"--save", halves, "--stop-after-epoch", "1"})) ==
            0);
    REQUIRE(run_cli(with(train_args(data, "2"), {"--resume", halves, "--save", halves})) == 0);
    const auto a = nn::load_safetensors(straight), b = nn::load_safetensors(halves);
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (const auto& [name, tensor] : a.tensors) {
      const std::string& entry = name;  // CAPTURE may not name a structured binding
      CAPTURE(entry);
      CHECK(tensor.to_vector() == b.tensors.at(name).to_vector());
    }
    CHECK(a.metadata.at("epoch") == "2");

    // two JSON lines of metrics; the tiny task is learnt
    std::ifstream metrics(dir.file("metrics.jsonl"));
    std::string line, last;
    int lines = 0;
    while (std::getline(metrics, line)) ++lines, last = line;
    CHECK(lines == 2);
    CHECK(nlohmann::json::parse(last).at("test_accuracy").get<double>() > 0.8);

    // eval writes fractions in [0, 1]
    const std::string report = dir.file("eval.json");
    REQUIRE(run_cli({"trit", "eval", "--model", "lenet5", "--weights", straight, "--dataset",
                     "mnist", "--data", data, "--report", report}) == 0);
    const auto json = nlohmann::json::parse(read_file(report));
    const double error = json.at("test_error"), accuracy = json.at("test_accuracy");
    CHECK(error >= 0.0);
    CHECK(error < 0.2);
    CHECK(error + accuracy == doctest::Approx(1.0));

    // a checkpoint of another model is refused
    CHECK(run_cli({"trit", "eval", "--model", "lenet5-classic", "--weights", straight,
                   "--dataset", "mnist", "--data", data}) == 1);
    // resuming with a different seed is refused: it would not be the same run
    CHECK(run_cli(with(train_args(data, "3", "6"), {"--resume", straight})) == 1);

    // a diverging run (NaN loss) stops with exit 1 and leaves the saved checkpoint intact
    const std::string before = read_file(straight);
    CHECK(run_cli({"trit", "train", "--model", "lenet5", "--data", data, "--epochs", "1",
                   "--lr", "1e30", "--save", straight}) == 1);
    CHECK(read_file(straight) == before);

    // a truncated checkpoint is a clear runtime error
    const std::string truncated = dir.file("truncated.safetensors");
    {
      std::ofstream out(truncated, std::ios::binary);
      out << before.substr(0, before.size() / 2);
    }
    CHECK(run_cli({"trit", "eval", "--model", "lenet5", "--weights", truncated, "--data",
                   data}) == 1);
    CHECK(run_cli({"trit", "info", straight}) == 0);

    // VNQ from the trained model, then the paper's rows from its checkpoint
    const std::string vnq = dir.file("vnq.safetensors");
    REQUIRE(run_cli({"trit", "vnq", "--model", "lenet5", "--init", straight, "--data", data,
                     "--epochs", "1", "--batch", "32", "--kl-warmup", "0.5", "--threads", "1",
                     "--save", vnq}) == 0);
    const std::string vnq_report = dir.file("vnq.json");
    REQUIRE(run_cli({"trit", "eval", "--model", "lenet5", "--weights", vnq, "--data", data,
                     "--report", vnq_report}) == 0);
    const auto vnq_json = nlohmann::json::parse(read_file(vnq_report));
    CHECK(vnq_json.at("bits") == 2);
    const double nonzero = vnq_json.at("nonzero_fraction");
    CHECK(nonzero > 0.0);
    CHECK(nonzero < 1.0);
    CHECK(vnq_json.at("rows").size() == 3);  // original, VNQ means, VNQ + P&Q
    CHECK(vnq_json.at("test_error").get<double>() < 0.5);
    CHECK(run_cli({"trit", "vnq", "--model", "lenet5", "--data", data}) == 2);  // no --init

    // the level learned as log a with its own floor: recorded in the VNQ config, the
    // checkpoint holds log_level, every reader sees a (= exp log_level >= the floor)
    const std::string vnq_log = dir.file("vnq-log.safetensors");
    REQUIRE(run_cli({"trit", "vnq", "--model", "lenet5", "--init", straight, "--data", data,
                     "--epochs", "1", "--batch", "32", "--threads", "1", "--level-param", "log",
                     "--min-level", "0.3", "--save", vnq_log}) == 0);
    const quant::VnqModel log_model = quant::load_vnq_model(vnq_log, "", std::nullopt);
    CHECK(log_model.record.config.level_param == quant::VnqConfig::LevelParam::kLog);
    CHECK(log_model.record.config.min_level == 0.3f);
    for (const auto& layer : log_model.layers) {
      CHECK(layer->level_value() >= doctest::Approx(0.3));  // exp(log a): to rounding
      CHECK(layer->level_value() == doctest::Approx(std::exp(layer->level().item())));
    }
    CHECK(run_cli({"trit", "quantize", vnq_log, "--save", dir.file("ternary-log.safetensors")}) ==
          0);
    CHECK(run_cli({"trit", "vnq", "--model", "lenet5", "--init", straight, "--data", data,
                   "--level-param", "exp"}) == 2);

    // log sigma^2 at a rate of its own: recorded, and a resume rebuilds the same three
    // parameter groups for the optimiser state it loads
    const std::string vnq_sigma = dir.file("vnq-sigma.safetensors");
    const std::vector<std::string> sigma_run = {
        "trit", "vnq", "--model", "lenet5", "--data", data, "--epochs", "2", "--batch", "32",
        "--threads", "1", "--log-sigma2-lr-scale", "3", "--save", vnq_sigma};
    std::vector<std::string> first = sigma_run;
    first.insert(first.end(), {"--init", straight, "--stop-after-epoch", "1"});
    REQUIRE(run_cli(first) == 0);
    CHECK(quant::read_vnq_record(vnq_sigma).config.log_sigma2_lr_scale == 3.0f);
    std::vector<std::string> second = sigma_run;
    second.insert(second.end(), {"--resume", vnq_sigma});
    CHECK(run_cli(second) == 0);
    CHECK(nn::load_safetensors(vnq_sigma).metadata.at("epoch") == "2");
    CHECK(run_cli({"trit", "vnq", "--model", "lenet5", "--init", straight, "--data", data,
                   "--log-sigma2-lr-scale", "0"}) == 2);
  }
}
