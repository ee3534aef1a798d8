// `trit eval`: test error of a model's weights on a dataset's test split, as text and JSON.
// Float, VNQ and ternary checkpoints (metadata kind "vnq" / "ternary") are all accepted.
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "distributed/communicator.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "quant/ptq/checkpoint.h"
#include "quant/ternary/activations.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "tools/commands/commands.h"
#include "train/data.h"
#include "train/evaluate.h"
#include "train/vnq_layers.h"
#include "train/vnq_report.h"

namespace trit::cli {
namespace {

constexpr char kNotThePapers[] = "not the paper's procedure, spec vnq.md 8.4";

struct EvalArgs {
  std::string model = "lenet5", weights, dataset = "mnist", data_dir, report;
  int64_t bn_reestimate = 0;  // training images; 0: off
  bool first_layer_float = false;  // VNQ: add the "w/o 1" row
  bool per_layer = false;          // VNQ: add the per-layer table (train/vnq_layers.h)
  int activation_bits = 0;         // ternary: 8 adds the 8-bit activation row; 0: off
  int64_t calibration_images = 512;
  int threads = 0;  // 0: all cores
};

// What report_rows prints and writes. `rows` are evaluated as the checkpoint stands (the
// paper's procedure unless trit quantize baked re-estimated BN statistics in); `reestimated`
// are the rows --bn-reestimate added, `activations_8bit` the row --activation-bits 8 added
// (one row; not the headline: the exact path stays the reference).
struct Table {
  std::vector<train::ResultRow> rows, reestimated, activations_8bit;
  std::vector<train::LayerRow> layers;
  int64_t quantised_convolutions = 0, convolutions = 0;  // with activations_8bit
};

// A quantised model's table on the terminal and, with --report, as JSON. JSON: "rows" holds
// all rows; the top-level test_error, nonzero_fraction, bits and bn_reestimated_images are
// rows.back()'s; "bn_reestimated" holds reestimated.back() when there is one, and
// "activations_8bit" the 8-bit activation row with its calibration_images and
// quantised_convolutions.
void report_rows(const EvalArgs& args, const train::DataSplits& data, const Table& table) {
  std::printf("%s (%s) on %s test set (%lld images):\n", args.model.c_str(), args.weights.c_str(),
              args.dataset.c_str(), static_cast<long long>(data.test.size()));
  std::vector<train::ResultRow> all = table.rows;
  all.insert(all.end(), table.reestimated.begin(), table.reestimated.end());
  all.insert(all.end(), table.activations_8bit.begin(), table.activations_8bit.end());
  train::print_table(all);
  if (!table.reestimated.empty())
    std::printf(
        "BN re-estimated rows: running statistics recomputed on %lld training images (%s)\n",
        static_cast<long long>(table.reestimated.back().bn_images), kNotThePapers);
  if (!table.activations_8bit.empty())
    std::printf(
        "8-bit activations: the inputs of %lld of %lld convolutions quantised to 8 bits (where "
        "it pays), scales calibrated on %lld training images (max |x| / 127); linear layers "
        "in float\n",
        static_cast<long long>(table.quantised_convolutions),
        static_cast<long long>(table.convolutions),
        static_cast<long long>(args.calibration_images));
  if (!table.layers.empty()) {
    std::printf("\nper layer (BN statistics as trained):\n");
    train::print_layer_table(table.layers);
  }
  if (args.report.empty()) return;
  const train::ResultRow& quantised = table.rows.back();
  nlohmann::json report = {{"model", args.model},
                           {"weights", args.weights},
                           {"dataset", args.dataset},
                           {"test_images", data.test.size()},
                           {"test_error", quantised.test_error},
                           {"test_accuracy", 1 - quantised.test_error},
                           {"nonzero_fraction", quantised.nonzero_fraction},
                           {"bits", quantised.bits},
                           {"bn_reestimated_images", quantised.bn_images},
                           {"rows", train::table_json(all)}};
  if (!table.reestimated.empty())
    report["bn_reestimated"] = train::table_json({table.reestimated.back()})[0];
  if (!table.activations_8bit.empty()) {
    report["activations_8bit"] = train::table_json({table.activations_8bit.back()})[0];
    report["activations_8bit"]["calibration_images"] = args.calibration_images;
    report["activations_8bit"]["quantised_convolutions"] = table.quantised_convolutions;
  }
  if (!table.layers.empty()) report["layers"] = train::layer_table_json(table.layers);
  write_json_report(args.report, report);
}

// A VNQ checkpoint: the paper's rows (original, VNQ means, [w/o 1,] VNQ + P&Q), then with
// --bn-reestimate all but the first again after BN re-estimation.
void eval_vnq(const EvalArgs& args) {
  check(args.activation_bits == 0, "--activation-bits",
        args.weights + " is a VNQ checkpoint; quantise it (trit quantize) and evaluate the "
                       "packed ternary checkpoint with 8-bit activations");
  const quant::VnqModel vnq = quant::load_vnq_model(args.weights, args.model);
  check(!args.first_layer_float || vnq.record.config.keep_float.empty(), "--first-layer-float",
        args.weights + " was trained with layers kept in float (--keep-float); its P&Q row is "
                       "already that variant");
  const train::DataSplits data = train::load_data(args.dataset, args.data_dir, args.model);
  const std::vector<train::ResultRow> rows =
      train::vnq_table(*vnq.model, vnq.layers, data, vnq.record.original_error,
                        args.first_layer_float);
  // Per-layer rows first: the BN re-estimated rows leave re-estimated statistics behind.
  const std::vector<train::LayerRow> layers =
      args.per_layer ? train::vnq_layer_rows(*vnq.model, vnq.layers, vnq.names, data, true)
                     : std::vector<train::LayerRow>{};
  Table table{rows, {}, {}, layers};
  if (args.bn_reestimate > 0)
    table.reestimated = train::vnq_bn_reestimated_rows(*vnq.model, vnq.layers, data,
                                                       args.bn_reestimate, args.first_layer_float);
  report_rows(args, data, table);
}

// A ternary checkpoint (trit quantize): the packed 2-bit model, deterministic, and the
// original model's error when the VNQ record it was made from knows it. Its row says so
// when trit quantize --bn-reestimate baked re-estimated BN statistics in; --bn-reestimate
// adds a row after re-estimating them here.
void eval_ternary(const EvalArgs& args, nn::Module& model) {
  const nn::Metadata metadata = quant::load_ternary_checkpoint(args.weights, model);
  const train::DataSplits data = train::load_data(args.dataset, args.data_dir, args.model);
  std::vector<train::ResultRow> rows;
  if (metadata.count("vnq")) {
    const double original = quant::parse_vnq_record(metadata, args.weights).original_error;
    if (original >= 0) rows.push_back({quant::kOriginalRow, original, 1.0, 32});
  }
  int64_t weights = 0, nonzero = 0;
  for (const auto& [name, layer] : quant::find_ternary(model)) {
    weights += layer->weights().rows * layer->weights().cols;
    nonzero += layer->nonzero();
  }
  const auto packed_row = [&](int64_t bn_images) {
    const double error = 1.0 - train::evaluate_accuracy(model, data.test, data.normalization,
                                                        distributed::Communicator::world());
    const std::string method = "VNQ + P&Q (packed 2-bit)";
    return train::ResultRow{bn_images > 0 ? train::bn_reestimated_label(method, bn_images) : method, error,
                     weights ? double(nonzero) / weights : 0.0, 2, bn_images};
  };
  const int64_t baked = quant::baked_bn_images(metadata, args.weights);
  if (baked > 0)
    std::printf(
        "%s: BN running statistics were re-estimated on %lld training images by trit "
        "quantize (%s)\n",
        args.weights.c_str(), static_cast<long long>(baked), kNotThePapers);
  rows.push_back(packed_row(baked));
  Table table{rows, {}, {}, {}};
  if (args.activation_bits == 8) {  // before re-estimation: the statistics as the row above
    table.quantised_convolutions = quant::calibrate_activations(
        model, train::training_batches(data, args.calibration_images));
    for (const auto& [name, layer] : quant::find_ternary(model))
      table.convolutions += std::dynamic_pointer_cast<quant::TernaryConv2d>(layer) != nullptr;
    train::ResultRow row = packed_row(baked);
    row.method += ", 8-bit activations";
    table.activations_8bit.push_back(row);
    quant::clear_activation_scales(model);
  }
  if (args.bn_reestimate > 0)
    table.reestimated.push_back(
        packed_row(train::reestimate_batch_norm(model, data, args.bn_reestimate)));
  report_rows(args, data, table);
}

void run_eval(const EvalArgs& args) {
  if (args.threads > 0) kernels::set_num_threads(args.threads);
  Rng rng(0);
  std::shared_ptr<nn::Module> model = nn::make_model(args.model, rng);
  const nn::Metadata metadata = nn::load_safetensors(args.weights).metadata;
  if (quant::is_vnq_checkpoint(metadata)) return eval_vnq(args);
  check(!args.first_layer_float, "--first-layer-float",
        args.weights + " is not a VNQ checkpoint; the \"w/o 1\" row needs its float means");
  check(!args.per_layer, "--per-layer",
        args.weights + " is not a VNQ checkpoint; the per-layer table needs its posteriors");
  if (quant::is_ternary_checkpoint(metadata)) return eval_ternary(args, *model);
  check(args.activation_bits == 0, "--activation-bits",
        args.weights + " is not a ternary checkpoint; 8-bit activations are a path of the "
                       "packed ternary layers (trit quantize writes them)");
  check(args.bn_reestimate == 0, "--bn-reestimate",
        args.weights + " is a float checkpoint; BN re-estimation is for VNQ and ternary ones");
  nn::load_checkpoint(args.weights, *model);
  const train::DataSplits data = train::load_data(args.dataset, args.data_dir, args.model);
  const double accuracy = train::evaluate_accuracy(*model, data.test, data.normalization,
                                                   distributed::Communicator::world());
  std::printf("%s (%s) on %s test set (%lld images): accuracy %.2f%%, error %.2f%%\n",
              args.model.c_str(), args.weights.c_str(), args.dataset.c_str(),
              static_cast<long long>(data.test.size()), 100 * accuracy, 100 * (1 - accuracy));
  nlohmann::json report = {{"model", args.model},
                           {"weights", args.weights},
                           {"dataset", args.dataset},
                           {"test_images", data.test.size()},
                           {"test_accuracy", accuracy},
                           {"test_error", 1 - accuracy},
                           {"bits", 32}};
  if (quant::is_ptq_checkpoint(metadata)) {
    const nlohmann::json ptq = quant::read_ptq_record(metadata, args.weights);
    std::printf("post-training quantised: %s, %d levels = %d bits (float model: error %.2f%%)\n",
                ptq.at("method").get<std::string>().c_str(), ptq.at("levels").get<int>(),
                ptq.at("bits").get<int>(), 100 * ptq.at("float_test_error").get<double>());
    std::printf("%s", quant::format_layers_table(ptq.at("layers")).c_str());
    for (const char* key : {"method", "levels", "bits", "float_test_error", "layers"})
      report[key] = ptq.at(key);
  }
  if (!args.report.empty()) write_json_report(args.report, report);
}

}  // namespace

void write_json_report(const std::string& path, const nlohmann::json& report) {
  if (!distributed::Communicator::world().is_root()) return;  // rank 0 writes
  std::ofstream out(path);
  check(static_cast<bool>(out), "--report", "cannot open " + path + " for writing");
  out << report.dump(2) << "\n";
  check(static_cast<bool>(out), "--report", "could not write " + path);
}

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* command = app.add_subcommand("eval", "test error of trained weights");
  command->add_option("--model", args->model, "model name")
      ->check(model_name_check())
      ->capture_default_str();
  command->add_option("--weights", args->weights, "checkpoint (.safetensors)")
      ->required()
      ->check(CLI::ExistingFile);
  add_dataset_option(*command, args->dataset);
  command->add_option("--data", args->data_dir, "folder with the dataset's files");
  command->add_option("--report", args->report, "write the results as JSON (rates in [0, 1])");
  command->add_option("--threads", args->threads, "threads (0: all cores)")->check(kThreads);
  add_bn_reestimate_option(*command, args->bn_reestimate,
                           "VNQ/ternary: add rows with BatchNorm statistics re-estimated on N "
                           "training images");
  command->add_flag("--first-layer-float", args->first_layer_float,
                    "VNQ: add the paper's \"w/o 1\" row, P&Q with the first layer at its float "
                    "means (spec vnq.md 5)");
  command->add_flag("--per-layer", args->per_layer,
                    "VNQ: add a table per layer: shares inside the funnels, distance to the "
                    "codebook in sigmas, log alpha, test error with only that layer P&Q'd");
  command->add_option("--activation-bits", args->activation_bits,
                      "ternary: 8 adds a row with each convolution's input quantised to 8 bits "
                      "(integer sums; the exact row stays the reference)")
      ->check(CLI::IsMember({8}));
  command->add_option("--calibration-images", args->calibration_images,
                      "with --activation-bits: training images that calibrate the scales")
      ->check(kCount)
      ->capture_default_str();
  command->callback([args] { run_eval(*args); });
}

void add_bn_reestimate_option(CLI::App& command, int64_t& images, const std::string& help) {
  command.add_option("--bn-reestimate", images, help + " (spec vnq.md 8.4; 0: off)")
      ->check(kImageCount)
      ->capture_default_str();
}

}  // namespace trit::cli
