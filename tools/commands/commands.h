// Each subcommand adds itself to the CLI11 app: its flags, its help text and its callback.
// Callbacks throw trit::Error for runtime failures; run_cli turns that into exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "tools/train_config.h"

namespace trit::cli {

// The flags of a TrainConfig (shared by `train` and `vnq`).
void add_train_config_options(CLI::App& command, TrainConfig& config);

void add_train_command(CLI::App& app);

// Writes `report` (pretty JSON) to `path`; throws Error naming --report on failure.
void write_json_report(const std::string& path, const nlohmann::json& report);
void add_eval_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_summary_command(CLI::App& app);
void add_vnq_command(CLI::App& app);

}  // namespace trit::cli
