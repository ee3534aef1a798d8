#include "optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/error.h"

namespace trit::optim {

LrSchedule LrSchedule::constant(float lr) {
  return LrSchedule([lr](double, int64_t) { return lr; });
}

LrSchedule LrSchedule::step_decay(float lr, int64_t every_epochs, float gamma) {
  check(every_epochs > 0, "LrSchedule::step_decay", "the period must be at least one epoch");
  return LrSchedule([=](double, int64_t epoch) {
    return lr * std::pow(double(gamma), double(epoch / every_epochs));
  });
}

LrSchedule LrSchedule::cosine(float lr, float final_lr, double epochs) {
  check(epochs > 0.0, "LrSchedule::cosine", "the length must be positive");
  return LrSchedule([=](double t, int64_t) {
    const double done = std::min(t, epochs) / epochs;
    return final_lr + (double(lr) - final_lr) * (1.0 + std::cos(M_PI * done)) / 2.0;
  });
}

LrSchedule LrSchedule::linear(float lr, float final_lr, double end_epoch, double start_epoch) {
  check(start_epoch >= 0.0 && end_epoch > start_epoch, "LrSchedule::linear",
        "needs 0 <= start < end, got start " + std::to_string(start_epoch) + ", end " +
            std::to_string(end_epoch));
  return LrSchedule([=](double t, int64_t) {
    const double done = std::clamp((t - start_epoch) / (end_epoch - start_epoch), 0.0, 1.0);
    return lr + (double(final_lr) - lr) * done;
  });
}

LrSchedule LrSchedule::with_warmup(double epochs, float start_factor) const {
  check(epochs > 0.0, "LrSchedule::with_warmup", "the warm-up length must be positive");
  return LrSchedule([inner = fn_, epochs, start_factor](double t, int64_t epoch) {
    const double factor = t < epochs ? start_factor + (1.0 - start_factor) * t / epochs : 1.0;
    return inner(t, epoch) * factor;
  });
}

float LrSchedule::at(const Position& p) const {
  check(p.steps_per_epoch > 0 && p.epoch >= 0 && p.step >= 0 && p.step < p.steps_per_epoch,
        "LrSchedule",
        "invalid position: epoch " + std::to_string(p.epoch) + ", step " + std::to_string(p.step) +
            " of " + std::to_string(p.steps_per_epoch));
  const double progress = double(p.epoch) + double(p.step) / double(p.steps_per_epoch);
  return static_cast<float>(fn_(progress, p.epoch));
}

}  // namespace trit::optim
