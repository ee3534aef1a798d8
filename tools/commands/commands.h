// Each subcommand adds itself to the CLI11 app: its flags, its help text and its callback.
// Callbacks throw trit::Error for runtime failures; run_cli turns that into exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tools/train_config.h"

namespace trit::cli {

// Number checks for flags, with one-line messages ("--lr: 0 is not positive"; CLI11's own
// PositiveNumber prints its whole range, up to DBL_MAX).
extern const CLI::Validator kPositive, kNonNegative;

// The flags of a TrainConfig (shared by `train` and `vnq`).
void add_train_config_options(CLI::App& command, TrainConfig& config);

void add_train_command(CLI::App& app);

// Writes `report` (pretty JSON) to `path`; throws Error naming --report on failure.
void write_json_report(const std::string& path, const nlohmann::json& report);
void add_eval_command(CLI::App& app);
// --bn-reestimate N (training images for BatchNorm re-estimation; 0, the default, is off).
void add_bn_reestimate_option(CLI::App& command, int64_t& images, const std::string& help);
void add_info_command(CLI::App& app);
void add_summary_command(CLI::App& app);
void add_vnq_command(CLI::App& app);
// What `trit quantize` and `trit plot` read: a checkpoint (positional), --model (default: the
// one the checkpoint records) and --log-threshold (default: the checkpoint's).
struct CheckpointArgs {
  std::string input, model;
  std::optional<float> log_threshold;
};
// Adds those three options to `command`, writing into `args`; `input_help` describes FILE.
void add_checkpoint_options(CLI::App& command, CheckpointArgs& args,
                            const std::string& input_help);
void add_quantize_command(CLI::App& app);
void add_plot_command(CLI::App& app);
void add_ptq_command(CLI::App& app);
void add_ptq_study_command(CLI::App& app);

}  // namespace trit::cli
