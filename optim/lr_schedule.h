// Learning-rate schedules: the lr as a pure function of the position in training, so a
// resumed run (same epoch, step) continues with exactly the lr it would have had.
//
// A position is (epoch, step in epoch, steps per epoch), all from 0; its progress is the
// fractional epoch t = epoch + step / steps_per_epoch. Schedules that change within an
// epoch use t ("per step"); step_decay uses the whole epoch, as torch's StepLR stepped
// once per epoch. Beyond their end, decays hold their final value.
//
//   constant(lr)                         lr
//   step_decay(lr, every, gamma)         lr * gamma^floor(epoch / every)
//   cosine(lr, final, epochs)            final + (lr - final) * (1 + cos(pi * t / epochs)) / 2
//   linear(lr, final, end, start = 0)    lr until `start`, then linearly to `final` at `end`
//                                        (VNQ LeNet: linear(1e-3, 0, 195); DenseNet:
//                                        linear(5e-3, 0, 300, 50))
//   s.with_warmup(epochs, start_factor)  s(t) * (start_factor + (1 - start_factor) * t /
//                                        epochs) while t < epochs, then s(t)
#pragma once

#include <cstdint>
#include <functional>

namespace trit::optim {

struct Position {
  int64_t epoch = 0;
  int64_t step = 0;  // in [0, steps_per_epoch)
  int64_t steps_per_epoch = 1;
};

class LrSchedule {
 public:
  static LrSchedule constant(float lr);
  static LrSchedule step_decay(float lr, int64_t every_epochs, float gamma);
  static LrSchedule cosine(float lr, float final_lr, double epochs);
  static LrSchedule linear(float lr, float final_lr, double end_epoch, double start_epoch = 0.0);
  LrSchedule with_warmup(double epochs, float start_factor = 0.0f) const;

  // Throws Error for a position outside its ranges (negative epoch, step out of range).
  float at(const Position& position) const;

 private:
  using Fn = std::function<double(double progress, int64_t epoch)>;
  explicit LrSchedule(Fn fn) : fn_(std::move(fn)) {}
  Fn fn_;
};

}  // namespace trit::optim
