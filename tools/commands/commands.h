// Each subcommand adds itself to the CLI11 app: its flags, its help text and its callback.
// Callbacks throw trit::Error for runtime failures; run_cli turns that into exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "distributed/data_parallel.h"
#include "train/config.h"

namespace trit::cli {

// Number checks for flags, with one-line messages ("--lr: 0 is not positive"; CLI11's own
// PositiveNumber prints its whole range, up to DBL_MAX). kPositive and kNonNegative accept
// finite reals a float32 holds (1e-50 would be stored as 0: refused).
extern const CLI::Validator kPositive, kNonNegative;
extern const CLI::Validator kUnitInterval;  // [0, 1], e.g. momentum
// A whole number in [min, max], digits only: "-1" (which an unsigned option would wrap),
// "1e20" (which an integer option would clamp) and "2.5" are refused.
CLI::Validator whole_number(uint64_t min, uint64_t max);
extern const CLI::Validator kCount;       // 1 .. 2^30: epochs, batch sizes, images
extern const CLI::Validator kImageCount;  // 0 .. 2^30 (0: off)
extern const CLI::Validator kThreads;     // 0 .. 4096 (0: all cores)
extern const CLI::Validator kSeed;        // 0 .. 2^64 - 1
// One of the registered model names (nn::model_names()): an unknown --model is a usage error.
CLI::Validator model_name_check();
// --dataset, one of train::dataset_names(), its help prefixed by `help_prefix`.
void add_dataset_option(CLI::App& command, std::string& dataset,
                        const std::string& help_prefix = "");

// The flags of a TrainConfig (shared by `train` and `vnq`).
void add_train_config_options(CLI::App& command, train::TrainConfig& config);

// --reschedule (Trainer::resume: resuming with another --epochs may change the lr schedule)
// and --stop-after-epoch (Trainer::stop_after_epoch).
void add_resume_flags(CLI::App& command, bool& reschedule, int64_t& stop_after_epoch);
void add_train_command(CLI::App& app);

// Data-parallel training under mpirun (docs/distributed.md): --sync-bn, --no-overlap and
// --bucket-kb into `options`.
void add_distributed_options(CLI::App& command, distributed::DataParallelOptions& options);
// "" in one process, else " over N ranks (T threads each)": for the first line a command prints.
std::string ranks_text();

// Writes `report` (pretty JSON) to `path`; throws Error naming --report on failure.
void write_json_report(const std::string& path, const nlohmann::json& report);
void add_eval_command(CLI::App& app);
// --bn-reestimate N (training images for BatchNorm re-estimation; 0, the default, is off).
void add_bn_reestimate_option(CLI::App& command, int64_t& images, const std::string& help);
void add_info_command(CLI::App& app);
void add_strip_command(CLI::App& app);
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
void add_curves_command(CLI::App& app);
void add_ptq_command(CLI::App& app);
void add_ptq_study_command(CLI::App& app);

}  // namespace trit::cli
