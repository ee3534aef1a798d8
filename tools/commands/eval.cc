// `trit eval`: test error of a model's weights on a dataset's test split, as text and JSON.
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "autograd/error.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "tools/commands/commands.h"
#include "tools/commands/vnq_checkpoint.h"
#include "tools/trainer.h"

namespace trit::cli {
namespace {

struct EvalArgs {
  std::string model = "lenet5", weights, dataset = "mnist", data_dir, report;
};

// A VNQ checkpoint: the paper's rows (original, VNQ means, VNQ + P&Q).
void eval_vnq(const EvalArgs& args, std::shared_ptr<nn::Module> model) {
  const VnqSettings settings = read_vnq_settings(args.weights);
  const quant::VariationalLayers layers =
      quant::make_variational(*model, settings.vnq_config(), 0, settings.keep_float);
  nn::load_checkpoint(args.weights, *model, nullptr);
  const DataSplits data = load_data(args.dataset, args.data_dir);
  const std::vector<ResultRow> rows = vnq_table(*model, layers, data, settings);
  std::printf("%s (%s) on %s test set (%lld images):\n", args.model.c_str(),
              args.weights.c_str(), args.dataset.c_str(), static_cast<long long>(data.test.size()));
  print_table(rows);
  if (args.report.empty()) return;
  const ResultRow& quantised = rows.back();
  write_json_report(args.report, {{"model", args.model},
                                  {"weights", args.weights},
                                  {"dataset", args.dataset},
                                  {"test_images", data.test.size()},
                                  {"test_error", quantised.test_error},
                                  {"test_accuracy", 1 - quantised.test_error},
                                  {"nonzero_fraction", quantised.nonzero_fraction},
                                  {"bits", quantised.bits},
                                  {"rows", table_json(rows)}});
}

void run_eval(const EvalArgs& args) {
  Rng rng(0);
  std::shared_ptr<nn::Module> model = nn::make_model(args.model, rng);
  if (is_vnq_checkpoint(nn::load_safetensors(args.weights).metadata)) return eval_vnq(args, model);
  nn::load_checkpoint(args.weights, *model, nullptr);
  const DataSplits data = load_data(args.dataset, args.data_dir);
  const double accuracy = evaluate_accuracy(*model, data.test, data.normalization);
  std::printf("%s (%s) on %s test set (%lld images): accuracy %.2f%%, error %.2f%%\n",
              args.model.c_str(), args.weights.c_str(), args.dataset.c_str(),
              static_cast<long long>(data.test.size()), 100 * accuracy, 100 * (1 - accuracy));
  if (args.report.empty()) return;
  write_json_report(args.report, {{"model", args.model},
                                  {"weights", args.weights},
                                  {"dataset", args.dataset},
                                  {"test_images", data.test.size()},
                                  {"test_accuracy", accuracy},
                                  {"test_error", 1 - accuracy}});
}

}  // namespace

void write_json_report(const std::string& path, const nlohmann::json& report) {
  std::ofstream out(path);
  check(static_cast<bool>(out), "--report", "cannot open " + path + " for writing");
  out << report.dump(2) << "\n";
  check(static_cast<bool>(out), "--report", "could not write " + path);
}

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* command = app.add_subcommand("eval", "test error of trained weights");
  command->add_option("--model", args->model, "model name")->capture_default_str();
  command->add_option("--weights", args->weights, "checkpoint (.safetensors)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--dataset", args->dataset, "mnist | fashion-mnist | cifar10")
      ->check(CLI::IsMember({"mnist", "fashion-mnist", "cifar10"}))
      ->capture_default_str();
  command->add_option("--data", args->data_dir, "folder with the dataset's files");
  command->add_option("--report", args->report, "write the results as JSON (rates in [0, 1])");
  command->callback([args] { run_eval(*args); });
}

}  // namespace trit::cli
