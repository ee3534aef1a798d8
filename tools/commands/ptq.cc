// `trit ptq`: post-training quantisation of a trained model, layer by layer (quant/ptq/network.h,
// shared/spec/ptq.md §5), without retraining.
//
// Loads the float checkpoint, evaluates it, draws --calib calibration and --holdout held-out
// images from the training set with --seed, quantises every Linear/Conv2d (except
// --keep-float) with the method to --levels alphabet values, evaluates the result on the test
// split, prints the per-layer errors and writes a checkpoint that `trit eval` runs (metadata in
// ptq_checkpoint.h) and, with --report, the same record as JSON.
#include <cstdio>
#include <memory>

#include "autograd/kernels/parallel.h"
#include "nn/atomic_file.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "quant/ptq/checkpoint.h"
#include "quant/ptq/network.h"
#include "tools/commands/commands.h"
#include "train/data.h"
#include "train/evaluate.h"

namespace trit::cli {
namespace {

struct PtqArgs {
  std::string model = "lenet5", weights, method, variant = "grid", inputs = "corrected";
  std::string scale = "layer", dataset = "mnist", data_dir, save, report;
  int levels = 0;
  int64_t calib = 256, holdout = 1000;
  uint64_t seed = 0;
  int threads = 0;
  double damping = 0.01, correction_damping = 1.0;
  std::vector<std::string> keep_float;
};

quant::NetworkPtqOptions network_options(const PtqArgs& args) {
  quant::NetworkPtqOptions options;
  options.method = quant::ptq_method_from_name(args.method);
  options.levels = args.levels;
  options.variant = args.variant == "box" ? quant::TargetSet::box : quant::TargetSet::grid;
  options.inputs = quant::layer_inputs_from_name(args.inputs);
  options.scale =
      args.scale == "neuron" ? quant::ScaleMode::per_neuron_max : quant::ScaleMode::per_layer_max;
  options.keep_float = args.keep_float;
  options.optq_damping = args.damping;
  options.correction_damping = args.correction_damping;
  options.seed = args.seed;
  return options;
}

nlohmann::json settings_json(const PtqArgs& args) {
  return {{"model", args.model},
          {"weights", args.weights},
          {"dataset", args.dataset},
          {"method", args.method},
          {"levels", args.levels},
          {"bits", quant::bits_for_levels(args.levels)},
          {"variant", args.method == "maly-saab" ? args.variant : ""},
          {"inputs", args.method == "msq" ? "" : args.inputs},
          {"scale", args.scale},
          {"calib", args.calib},
          {"holdout", args.holdout},
          {"seed", args.seed},
          {"keep_float", args.keep_float},
          {"optq_damping", args.damping},
          {"correction_damping", args.correction_damping}};
}

void run_ptq(const PtqArgs& args) {
  nn::resolve_save_target(args.save, "--save");
  if (args.threads > 0) kernels::set_num_threads(args.threads);
  std::fprintf(stderr, "trit ptq: model %s from %s, method %s, %d levels, dataset %s, seed %llu\n",
               args.model.c_str(), args.weights.c_str(), args.method.c_str(), args.levels,
               args.dataset.c_str(), static_cast<unsigned long long>(args.seed));
  const quant::NetworkPtqOptions options = network_options(args);
  Rng rng(0);
  std::shared_ptr<nn::Module> model = nn::make_model(args.model, rng);
  nn::load_checkpoint(args.weights, *model);
  const train::DataSplits data = train::load_data(args.dataset, args.data_dir, args.model);
  const double float_error = 1.0 - train::evaluate_accuracy(*model, data.test, data.normalization);
  const quant::CalibrationImages images =
      quant::draw_calibration(data.train, data.normalization, args.calib, args.holdout, args.seed);
  const quant::NetworkPtqReport report =
      quant::quantise_network(*model, images.calibration, images.held_out, options);
  const double error = 1.0 - train::evaluate_accuracy(*model, data.test, data.normalization);

  nlohmann::json record = settings_json(args);
  record["float_test_error"] = float_error;
  record["test_error"] = error;
  record["test_accuracy"] = 1.0 - error;
  record["test_images"] = data.test.size();
  record["folded_batch_norms"] = report.folded_batch_norms;
  record["seconds"] = report.seconds;
  record["layers"] = quant::layers_json(report);
  std::printf("%s", quant::format_layers_table(record["layers"]).c_str());
  std::printf("%s %s, %d levels (%d bits): test error %.2f%% (float %.2f%%), %.1f s\n",
              args.model.c_str(), args.method.c_str(), args.levels, quant::bits_for_levels(args.levels),
              100 * error, 100 * float_error, report.seconds);

  nn::TrainingState state;
  state.config = settings_json(args).dump();
  state.extra = quant::ptq_metadata(record);
  nn::save_checkpoint(args.save, *model, state);
  std::printf("checkpoint: %s\n", args.save.c_str());
  if (!args.report.empty()) write_json_report(args.report, record);
}

}  // namespace

void add_ptq_command(CLI::App& app) {
  auto args = std::make_shared<PtqArgs>();
  CLI::App* command =
      app.add_subcommand("ptq", "post-training quantisation of trained weights, layer by layer");
  command->add_option("--model", args->model, "model name")
      ->check(model_name_check())
      ->capture_default_str();
  command->add_option("--weights", args->weights, "float checkpoint (.safetensors)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--method", args->method, "msq | maly-saab | gpfq | optq")
      ->required()
      ->check(CLI::IsMember({"msq", "maly-saab", "gpfq", "optq"}));
  command->add_option("--levels", args->levels, "alphabet size L >= 2 (3 = ternary)")
      ->required()
      ->check(CLI::Range(2, 65536));
  command->add_option("--variant", args->variant, "Maly-Saab target set: grid | box (paper)")
      ->check(CLI::IsMember({"grid", "box"}))
      ->capture_default_str();
  command
      ->add_option("--inputs", args->inputs,
                   "data of deeper layers: analog | quantized | corrected (spec §5.2)")
      ->check(CLI::IsMember({"analog", "quantized", "corrected"}))
      ->capture_default_str();
  command->add_option("--scale", args->scale, "alphabet scale c: layer (max |W|) | neuron")
      ->check(CLI::IsMember({"layer", "neuron"}))
      ->capture_default_str();
  command->add_option("--calib", args->calib, "calibration images m (from the training set)")
      ->check(kCount)
      ->capture_default_str();
  command->add_option("--holdout", args->holdout, "held-out training images for the layer errors")
      ->check(kCount)
      ->capture_default_str();
  command->add_option("--keep-float", args->keep_float, "layers left in float (e.g. fc2)");
  command->add_option("--damping", args->damping, "OPTQ dampening lambda")
      ->check(kNonNegative)
      ->capture_default_str();
  command
      ->add_option("--correction-damping", args->correction_damping,
                   "ridge of the corrected inputs' W' (0: the exact min-norm correction)")
      ->check(kNonNegative)
      ->capture_default_str();
  command->add_option("--seed", args->seed, "seed of the calibration draw")
      ->check(kSeed)
      ->capture_default_str();
  add_dataset_option(*command, args->dataset);
  command->add_option("--data", args->data_dir, "folder with the dataset's files");
  command->add_option("--save", args->save, "quantised checkpoint (.safetensors)")->required();
  command->add_option("--report", args->report, "write the results as JSON (rates in [0, 1])");
  command->add_option("--threads", args->threads, "threads (0: all cores)")->check(kThreads);
  command->callback([args] { run_ptq(*args); });
}

}  // namespace trit::cli
