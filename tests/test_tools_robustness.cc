// What a hostile or careless user gives the CLI: out-of-range flags, save paths that are not
// files, data that does not fit the model, a checkpoint of another kind, a resume that would
// change the schedule, a diverging first epoch. Each gets one clear error and the right exit
// code, and nothing already saved is lost.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "autograd/error.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ptq/checkpoint.h"
#include "quant/vnq/checkpoint.h"
#include "tests/cli_fixtures.h"
#include "tools/cli.h"
#include "tools/commands/commands.h"
#include "train/config.h"
#include "train/data.h"
#include "train/recipe.h"
#include "train/trainer.h"

using namespace trit;
using trit::cli::run_cli;
using trit::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> train_args(const std::string& data, const std::string& epochs,
                               std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"trit",    "train",  "--model", "lenet5", "--data", data,
                                   "--batch", "64",     "--epochs", epochs,  "--threads", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A folder with tiny MNIST-form files (cli_fixtures.h).
struct TinyMnist {
  TempDir dir;
  std::string data = dir.path() + "/mnist";
  TinyMnist() {
    fs::create_directories(data);
    testing::write_tiny_mnist(data, 128, 32);
  }
};

}  // namespace

TEST_SUITE("tools") {
  TEST_CASE("out-of-range numbers and unknown names are usage errors (exit 2)") {
    for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
             {"--batch", "9223372036854775807"},
             {"--batch", "9223372036854775806"},
             {"--batch", "0"},
             {"--epochs", "1e20"},
             {"--epochs", "2.5"},
             {"--seed", "-1"},
             {"--seed", "18446744073709551616"},
             {"--lr", "inf"},
             {"--lr", "nan"},
             {"--lr", "1e-50"},
             {"--lr", "1e40"},
             {"--momentum", "-5"},
             {"--weight-decay", "-1"},
             {"--threads", "100000"},
             {"--model", "unknown"}}) {
      CAPTURE(flags[0]);
      CAPTURE(flags[1]);
      std::vector<std::string> args = {"trit", "train"};
      args.insert(args.end(), flags.begin(), flags.end());
      CHECK(run_cli(args) == 2);
    }
    CHECK(run_cli({"trit", "summary", "--batch", "-1"}) == 2);
    CHECK(run_cli({"trit", "eval", "--model", "unknown", "--weights", "/dev/null"}) == 2);
    CHECK(run_cli({"trit", "vnq", "--init", "/dev/null", "--kl-warmup", "-1"}) == 2);

    const auto check = [](const CLI::Validator& validator, std::string text) {
      return validator(text);
    };
    CHECK(check(cli::kCount, "1e20") == "1e20 is not a whole number from 1 to 1073741824");
    CHECK(check(cli::kSeed, "-1") == "-1 is not a whole number from 0 to 18446744073709551615");
    CHECK(check(cli::kSeed, "18446744073709551615").empty());
    CHECK(check(cli::kPositive, "1e-50") == "1e-50 is out of the range of a 32-bit float");
    CHECK(check(cli::kPositive, "inf") == "inf is not a finite number");
    CHECK(check(cli::kThreads, "0").empty());
  }

  TEST_CASE("--save refuses a device, FIFO or folder before any work, and saves through a link") {
    TinyMnist tiny;
    const std::string fifo = tiny.dir.file("pipe");
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK(run_cli(train_args(tiny.data, "1", {"--save", fifo})) == 1);
    CHECK(fs::is_fifo(fifo));
    CHECK(run_cli(train_args(tiny.data, "1", {"--save", "/dev/full"})) == 1);
    CHECK(fs::is_character_file("/dev/full"));
    CHECK(run_cli(train_args(tiny.data, "1", {"--save", tiny.dir.path()})) == 1);
    CHECK(run_cli(train_args(tiny.data, "1", {"--save", tiny.dir.path() + "/no/folder/x"})) == 1);

    const std::string target = tiny.dir.file("keep/model.safetensors");
    const std::string link = tiny.dir.file("model.safetensors");
    fs::create_symlink(target, link);
    REQUIRE(run_cli(train_args(tiny.data, "1", {"--save", link})) == 0);
    CHECK(fs::is_symlink(fs::symlink_status(link)));
    CHECK(nn::load_safetensors(target).metadata.at("epoch") == "1");
  }

  TEST_CASE("data that does not fit the model is refused when opened, naming the file") {
    TempDir dir;
    const auto write_split = [&](const std::string& prefix, uint32_t count, uint32_t side) {
      std::vector<uint8_t> images(count * side * side, 7), labels(count, 1);
      testing::write_bytes(dir.path() + "/" + prefix + "-images-idx3-ubyte",
                           testing::idx_bytes({count, side, side}, images));
      testing::write_bytes(dir.path() + "/" + prefix + "-labels-idx1-ubyte",
                           testing::idx_bytes({count}, labels));
    };
    write_split("train", 8, 28);
    write_split("t10k", 4, 32);  // the test split is 32x32: found before any training
    CHECK_THROWS_WITH_AS(train::load_data("mnist", dir.path(), "lenet5"),
                         doctest::Contains("t10k-images-idx3-ubyte: the test images are "
                                           "[1,32,32] (channels, height, width), but model "
                                           "lenet5 takes [1,28,28]"),
                         Error);
    CHECK(train::load_data("mnist", dir.path()).test.height() == 32);  // no model: no check
    CHECK(run_cli({"trit", "train", "--data", dir.path(), "--epochs", "1"}) == 1);

    write_split("t10k", 0, 28);  // an empty split
    CHECK_THROWS_WITH_AS(train::load_data("mnist", dir.path(), "lenet5"),
                         doctest::Contains("t10k-images-idx3-ubyte: the test split has no images"),
                         Error);

    fs::remove(dir.path() + "/train-images-idx3-ubyte");
    fs::create_directory(dir.path() + "/train-images-idx3-ubyte");  // a folder, not a file
    CHECK_THROWS_WITH_AS(train::load_data("mnist", dir.path(), "lenet5"),
                         doctest::Contains("train-images-idx3-ubyte is a folder, not an IDX file"),
                         Error);
  }

  TEST_CASE("a NaN loss names what is saved: the last checkpoint, or that none was written") {
    TinyMnist tiny;
    train::TrainConfig config;
    config.lr = 1e30f;
    config.batch = 64;
    const train::DataSplits data = train::load_data("mnist", tiny.data, config.model);
    Rng rng(config.seed);
    const auto fresh_trainer = [&](std::shared_ptr<nn::Module>& model,
                                   std::unique_ptr<optim::Optimizer>& optimizer) {
      model = train::make_initialised_model(config, rng);
      optimizer = train::make_optimizer(config, {optim::ParamGroup{model->parameters(), 1.0f, {}}});
      return train::Trainer(*model, *optimizer, data, config);
    };
    std::shared_ptr<nn::Module> model;
    std::unique_ptr<optim::Optimizer> optimizer;
    const std::string path = tiny.dir.file("run.safetensors");
    train::Trainer diverging = fresh_trainer(model, optimizer);
    diverging.set_outputs(path, "");
    CHECK_THROWS_WITH_AS(diverging.run(),
                         doctest::Contains(("stopped, before the first checkpoint: nothing was "
                                            "written to " + path).c_str()),
                         Error);
    CHECK_FALSE(fs::exists(path));

    // with a checkpoint of epoch 1 resumed, the same failure names it as intact
    config.lr = 1e-3f;
    config.schedule = "constant";
    train::Trainer good = fresh_trainer(model, optimizer);
    good.set_outputs(path, "");
    good.stop_after_epoch(1);
    good.run();
    const std::string saved = testing::read_bytes(path);
    train::Trainer resumed = fresh_trainer(model, optimizer);
    resumed.set_outputs(path, "");
    resumed.resume(path);
    for (Tensor& parameter : model->parameters())  // make the next step's loss overflow
      for (int64_t i = 0; i < parameter.numel(); ++i) parameter.data()[i] = 1e30f;
    CHECK_THROWS_WITH_AS(resumed.run(),
                         doctest::Contains(
                             ("the checkpoint " + path + " of epoch 1 is intact").c_str()),
                         Error);
    CHECK(testing::read_bytes(path) == saved);
  }

  TEST_CASE("numbers out of range in a checkpoint's JSON metadata are refused, not cast") {
    // nlohmann's get<int64_t>() of 1e300 is a cast with undefined behaviour (found by
    // fuzz_metadata_json); -1 would wrap into an unsigned seed
    for (const char* text : {R"({"epochs": 1e300})", R"({"threads": -1e20})", R"({"seed": -1})",
                             R"({"batch": 2.5})", R"({"lr": 1e300})"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(train::TrainConfig::from_json(nlohmann::json::parse(text)),
                           doctest::Contains("training config: "), Error);
    }
    CHECK(train::TrainConfig::from_json(nlohmann::json::parse(R"({"epochs": 7})")).epochs == 7);
    CHECK_THROWS_WITH_AS(
        quant::parse_vnq_record({{"vnq", R"({"min_level": 1e300})"}}, "v.safetensors"),
        doctest::Contains("v.safetensors: VNQ settings: min_level = 1e+300 is not a number a "
                          "32-bit float holds"),
        Error);
    // a PTQ record that lacks what eval prints is refused by name (found by fuzz_ptq_checkpoint)
    const nlohmann::json layer = {{"name", "fc1"},
                                  {"type", "Linear"},
                                  {"n0", 800},
                                  {"n1", 500},
                                  {"rows", 500},
                                  {"quantised", true},
                                  {"scale", 0.1},
                                  {"free_entries", -1},
                                  {"seconds", 0.5},
                                  {"layer_error", {{"calibration", 0.1}, {"held_out", 0.1}}},
                                  {"network_error", {{"calibration", 0.1}, {"held_out", 0.1}}}};
    nlohmann::json record = {{"method", "gpfq"},
                             {"levels", 3},
                             {"bits", 2},
                             {"float_test_error", 0.01},
                             {"layers", {layer}}};
    const auto read = [](const nlohmann::json& r) {
      return quant::read_ptq_record({{"kind", "ptq"}, {"ptq", r.dump()}}, "p.safetensors");
    };
    CHECK(read(record).at("bits") == 2);
    for (const char* key : {"method", "bits", "float_test_error"}) {
      CAPTURE(key);
      nlohmann::json broken = record;
      broken.erase(key);
      CHECK_THROWS_WITH_AS(read(broken), doctest::Contains("p.safetensors: "), Error);
    }
    record["layers"][0].erase("scale");
    CHECK_THROWS_WITH_AS(read(record), doctest::Contains("malformed PTQ record"), Error);
    record["layers"][0]["scale"] = 0.1;
    record["layers"][0]["rows"] = 1e300;
    CHECK_THROWS_WITH_AS(read(record), doctest::Contains("rows = 1e+300 is not a whole number"),
                         Error);
  }

  TEST_CASE("resuming with another --epochs never changes the schedule silently") {
    TinyMnist tiny;
    const std::string path = tiny.dir.file("run.safetensors");
    // cosine (the default) spans --epochs: 3 epochs stopped after 1, resumed to 3, equals 3
    // straight; resuming with --epochs 4 is refused unless --reschedule
    const std::string straight = tiny.dir.file("straight.safetensors");
    REQUIRE(run_cli(train_args(tiny.data, "3", {"--save", straight})) == 0);
    REQUIRE(run_cli(train_args(tiny.data, "3", {"--save", path, "--stop-after-epoch", "1"})) == 0);
    CHECK(nn::load_safetensors(path).metadata.at("epoch") == "1");
    const std::string after_one = testing::read_bytes(path);
    CHECK(run_cli(train_args(tiny.data, "4", {"--resume", path, "--save", path})) == 1);
    CHECK(testing::read_bytes(path) == after_one);
    REQUIRE(run_cli(train_args(tiny.data, "3", {"--resume", path, "--save", path})) == 0);
    CHECK(testing::read_bytes(path) == testing::read_bytes(straight));
    CHECK(run_cli(train_args(tiny.data, "4", {"--resume", path, "--save", path, "--reschedule"})) == 0);
    CHECK(nn::load_safetensors(path).metadata.at("epoch") == "4");
    // a constant rate does not depend on the length: more epochs just continue
    const std::string constant = tiny.dir.file("constant.safetensors");
    REQUIRE(run_cli(train_args(tiny.data, "1", {"--schedule", "constant", "--save", constant})) == 0);
    CHECK(run_cli(train_args(tiny.data, "2", {"--schedule", "constant", "--resume", constant,
                                         "--save", constant})) == 0);
  }

  TEST_CASE("a VNQ checkpoint given to train --resume is named as such; VNQ defaults adapt") {
    TinyMnist tiny;
    const std::string float_path = tiny.dir.file("float.safetensors");
    const std::string vnq_path = tiny.dir.file("vnq.safetensors");
    REQUIRE(run_cli(train_args(tiny.data, "1", {"--save", float_path})) == 0);
    // the first epoch of a VNQ run of `epochs` epochs, with the default recipe
    const std::string metrics = tiny.dir.file("vnq.jsonl");
    const auto vnq_config = [&](const std::string& epochs) {
      REQUIRE(run_cli({"trit", "vnq", "--init", float_path, "--data", tiny.data, "--epochs",
                       epochs, "--stop-after-epoch", "1", "--threads", "1", "--save", vnq_path,
                       "--metrics", metrics}) == 0);
      return quant::read_vnq_record(vnq_path).config;
    };
    const quant::VnqConfig paper = vnq_config("100");  // paper length: the spec's settings
    CHECK(quant::level_init_text(paper) == "max-abs");
    CHECK(paper.kl_warmup == 15.0);
    CHECK_THROWS_WITH_AS(
        [&] {
          train::TrainConfig config;
          Rng rng(1);
          auto model = train::make_initialised_model(config, rng);
          auto optimizer =
              train::make_optimizer(config, {optim::ParamGroup{model->parameters(), 1.0f, {}}});
          const train::DataSplits data = train::load_data("mnist", tiny.data, "lenet5");
          train::Trainer(*model, *optimizer, data, config).resume(vnq_path);
        }(),
        doctest::Contains("a vnq checkpoint, but this command trains a float model (continue it "
                          "with `trit vnq --resume`)"),
        Error);
    CHECK(run_cli(train_args(tiny.data, "2", {"--resume", vnq_path})) == 1);
    // a short run starts 65 % of the weights in the zero funnel and warms the KL up over a fifth
    const quant::VnqConfig short_run = vnq_config("10");
    CHECK(quant::level_init_text(short_run) == "0.65");
    CHECK(short_run.kl_warmup == 2.0);
    CHECK(train::TrainConfig().schedule == "cosine");
    // each VNQ metrics line has the paper's quantities; `trit curves` draws them
    const nlohmann::json line = nlohmann::json::parse(testing::read_bytes(metrics).substr(
        0, testing::read_bytes(metrics).find('\n')));
    for (const char* key : {"nonzero_fraction", "means_test_error", "pq_test_error", "kl"}) {
      CAPTURE(key);
      CHECK(line.at(key).get<double>() >= 0.0);
    }
    CHECK(line.at("nonzero_fraction").get<double>() < 1.0);
    const std::string png = tiny.dir.file("curves.png");
    REQUIRE(run_cli({"trit", "curves", metrics, "--out", png}) == 0);
    CHECK(testing::read_bytes(png).substr(1, 3) == "PNG");
  }
}
