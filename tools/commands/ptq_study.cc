// `trit ptq-study`: the single-layer PTQ study of shared/spec/ptq.md §8 (E1, E2, E4 and the
// fc1 timing) as tables beside the spec's reference numbers, plus the E1 log-log PNG
// (study/report.h).
#include <cstdio>
#include <memory>

#include "autograd/kernels/parallel.h"
#include "study/report.h"
#include "tools/commands/commands.h"

namespace trit::cli {

void add_ptq_study_command(CLI::App& app) {
  auto options = std::make_shared<study::StudyReportOptions>();
  auto only = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  CLI::App* command = app.add_subcommand(
      "ptq-study", "single-layer PTQ study (spec ptq.md §8): E1, E2, E4 tables and a plot");
  command->add_flag("--quick", options->quick, "one seed, the smaller sizes only");
  command->add_option("--only", *only, "one section: e1 | e2 | e4 | fc1")
      ->check(CLI::IsMember({"e1", "e2", "e4", "fc1"}));
  command->add_option("--seeds", options->seeds, "seeds per point")
      ->check(kCount)
      ->capture_default_str();
  command->add_option("--plot", options->plot, "E1 log-log plot (.png)")->capture_default_str();
  command->add_option("--fc1-neurons", options->fc1_neurons, "neurons of the fc1 timing layer")
      ->check(kCount)
      ->capture_default_str();
  command->add_option("--threads", *threads, "threads (0: all cores)")->check(kThreads);
  command->callback([command, options, only, threads] {
    if (*threads > 0) kernels::set_num_threads(*threads);
    study::StudyReportOptions run = *options;
    if (run.quick && command->count("--seeds") == 0) run.seeds = 1;  // --quick: one seed
    study::study_report(*only, run, stdout);
  });
}

}  // namespace trit::cli
