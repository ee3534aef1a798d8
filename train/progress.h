// Progress: what a user watches while an epoch runs.
//
// On a terminal (stderr is a TTY) one line is redrawn in place:
//   epoch 3/5 [#########.........]  412/938  loss 0.0412  acc 98.71%  6123 img/s  ETA 0:09
// When stderr is not a terminal (CI, a log file) it prints a plain line every
// `plain_every` steps and at the end, so logs stay readable. Nothing here affects results.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace trit::train {

class Progress {
 public:
  // shown = false prints nothing (the ranks other than 0 of a data-parallel run).
  Progress(std::string label, int64_t total_steps, int64_t plain_every = 100, bool shown = true);

  // After step `step` (1-based): running mean loss, running accuracy in [0,1], images seen.
  void update(int64_t step, double loss, double accuracy, int64_t images);
  // Ends the line (terminal) and prints `summary` on its own line.
  void finish(const std::string& summary);

  double elapsed_seconds() const;

 private:
  std::string label_;
  int64_t total_;
  int64_t plain_every_;
  bool tty_;
  bool shown_;
  std::chrono::steady_clock::time_point start_;
};

// "1:05:09" / "4:07"
std::string format_duration(double seconds);

}  // namespace trit::train
