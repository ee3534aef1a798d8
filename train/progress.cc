#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace trit::train {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

Progress::Progress(std::string label, int64_t total_steps, int64_t plain_every, bool shown)
    : label_(std::move(label)),
      total_(total_steps),
      plain_every_(plain_every),
      tty_(isatty(fileno(stderr)) != 0),
      shown_(shown),
      start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t step, double loss, double accuracy, int64_t images) {
  const bool last = step == total_;
  if (!shown_) return;
  if (!tty_ && !last && step % plain_every_ != 0) return;
  const double seconds = elapsed_seconds();
  const double rate = seconds > 0 ? images / seconds : 0.0;
  const double eta = step > 0 ? seconds * (total_ - step) / step : 0.0;
  if (tty_) {
    constexpr int kWidth = 20;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * step / total_) : kWidth;
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s [%s] %5lld/%lld  loss %.4f  acc %6.2f%%  %6.0f img/s  ETA %s ",
                 label_.c_str(), bar.c_str(), static_cast<long long>(step),
                 static_cast<long long>(total_), loss, 100.0 * accuracy, rate,
                 format_duration(eta).c_str());
  } else {
    std::fprintf(stderr, "%s step %lld/%lld  loss %.4f  acc %.2f%%  %.0f img/s\n", label_.c_str(),
                 static_cast<long long>(step), static_cast<long long>(total_), loss,
                 100.0 * accuracy, rate);
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  if (!shown_) return;
  if (tty_) std::fputc('\n', stderr);
  std::fprintf(stderr, "%s\n", summary.c_str());
  std::fflush(stderr);
}

}  // namespace trit::train
