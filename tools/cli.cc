#include "tools/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "autograd/kernels/targets.h"
#include "distributed/communicator.h"
#include "tools/commands/commands.h"

namespace trit::cli {

std::string version_line() {
  std::string compiled;
  for (int64_t target : kernels::supported_targets())
    compiled += (compiled.empty() ? "" : ",") + kernels::target_name(target);
  return "trit 0.1.0 (SIMD target " + kernels::dispatch_target() + " of " + compiled + "; " +
         std::to_string(kernels::num_threads()) + " threads)";
}

int run_cli(const std::vector<std::string>& args) {
  CLI::App app{"trit: a from-scratch deep-learning mini-framework (LeNet-5, DenseNet, VNQ, PTQ)",
               "trit"};
  app.require_subcommand(0, 1);
  app.add_flag_callback("--version", [] { std::printf("%s\n", version_line().c_str()); },
                        "print the version and the SIMD target in use");
  add_train_command(app);
  add_eval_command(app);
  add_info_command(app);
  add_strip_command(app);
  add_summary_command(app);
  add_vnq_command(app);
  add_quantize_command(app);
  add_plot_command(app);
  add_curves_command(app);
  add_ptq_command(app);
  add_ptq_study_command(app);

  std::vector<std::string> reversed(args.rbegin(), args.rend() - (args.empty() ? 0 : 1));
  // Under mpirun (docs/distributed.md) rank 0 speaks for the job: the others' standard output
  // goes nowhere, their errors still reach stderr.
  const distributed::Communicator* world = nullptr;
  try {
    world = &distributed::Communicator::world();
  } catch (const Error& e) {
    std::fprintf(stderr, "trit: error: %s\n", e.what());
    return 1;
  }
  if (!world->is_root() && std::freopen("/dev/null", "w", stdout) == nullptr) return 1;
  // An error on one rank ends every rank (MPI_Abort), never a hang in a collective.
  const auto fail = [world](const char* what) {
    if (world->size() == 1) {
      std::fprintf(stderr, "trit: error: %s\n", what);
      return 1;
    }
    std::fprintf(stderr, "trit: error (%s): %s\n", world->where().c_str(), what);
    std::fflush(stderr);
    world->abort(1);
  };
  try {
    app.parse(reversed);  // CLI11 takes the arguments in reverse order, without argv[0]
    if (args.size() <= 1) std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", (app.get_subcommands().empty() ? app.help()
                                                     : app.get_subcommands().front()->help())
                          .c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "trit: usage error: %s\nRun 'trit --help' (or 'trit COMMAND --help').\n",
                 e.what());
    if (world->size() > 1) world->abort(2);  // a rank that ends alone would leave the rest waiting
    return 2;
  } catch (const std::exception& e) {  // trit::Error and the rest
    return fail(e.what());
  }
}

}  // namespace trit::cli
