// The single-layer PTQ study as printed reports (ptq.md §8.2-§8.4): our numbers beside the
// spec's numpy reference numbers and their ratios, shared by `trit ptq-study` and
// bench/ptq_study.
//
//   E1   Gaussian X, W ~ U[-1,1], m = 64, K = 3, N0 = 128..2048 (quick: ..512), every method,
//        in / out of sample, free entries, the Lemma 2 bound check; writes a log-log PNG of
//        the errors vs N0 to options.plot.
//   E2   low-rank X = G B: free entries = rank, out-of-sample = in-sample.
//   E4   N0 = 1024, error and time vs m (quick: m <= 256).
//   fc1  time to quantise a LeNet-5 fc1-shaped layer (800 -> fc1_neurons, m = 256) per
//        method, wall and CPU, with the ratio to GPFQ.
// Each section writes its tables to `stream` as it goes (flushed after each size).
#pragma once

#include <cstdio>
#include <string>

namespace trit::study {

struct StudyReportOptions {
  bool quick = false;  // the smaller sizes only
  int seeds = 3;
  std::string plot = "ptq_e1.png";
  int fc1_neurons = 500;
};

void study_e1(const StudyReportOptions& options, std::FILE* stream);
void study_e2(const StudyReportOptions& options, std::FILE* stream);
void study_e4(const StudyReportOptions& options, std::FILE* stream);
void study_fc1_timing(int neurons, std::FILE* stream);

// The sections in that order, or only the one named by `only` ("e1", "e2", "e4", "fc1";
// "" = all). Throws trit::Error naming the known sections for any other name.
void study_report(const std::string& only, const StudyReportOptions& options, std::FILE* stream);

}  // namespace trit::study
