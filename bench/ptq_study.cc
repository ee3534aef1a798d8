// ptq_study: the single-layer post-training quantisation study of shared/spec/ptq.md §8
// (study/report.h; the same as `trit ptq-study`).
//
//   ptq_study [--quick] [--only e1|e2|e4|fc1] [--plot FILE.png] [--threads N] [--fc1-neurons N]
//
// --quick: one seed and the smaller sizes only; --only: run one section.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "study/report.h"

int main(int argc, char** argv) {
  trit::study::StudyReportOptions options;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
      options.seeds = 1;
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--fc1-neurons" && i + 1 < argc) {
      options.fc1_neurons = std::atoi(argv[++i]);
    } else if (arg == "--plot" && i + 1 < argc) {
      options.plot = argv[++i];
    } else if (arg == "--threads" && i + 1 < argc) {
      trit::kernels::set_num_threads(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: ptq_study [--quick] [--only e1|e2|e4|fc1] [--plot FILE.png] "
                   "[--threads N] [--fc1-neurons N]\n");
      return 2;
    }
  }
  try {
    trit::study::study_report(only, options, stdout);
  } catch (const trit::Error& e) {
    std::fprintf(stderr, "ptq_study: %s\n", e.what());
    return 2;
  }
  return 0;
}
