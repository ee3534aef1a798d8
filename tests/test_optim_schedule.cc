// Learning-rate schedules at chosen points (values worked out from the formulas).
#include <doctest/doctest.h>

#include "autograd/error.h"
#include "optim/lr_schedule.h"

using namespace trit;
using optim::LrSchedule;
using optim::Position;

namespace {

// lr at epoch + step / steps (steps per epoch default 4).
float at(const LrSchedule& s, int64_t epoch, int64_t step = 0, int64_t steps = 4) {
  return s.at(Position{epoch, step, steps});
}

}  // namespace

TEST_SUITE("optim") {
  TEST_CASE("constant and step decay") {
    CHECK(at(LrSchedule::constant(0.01f), 7, 3) == 0.01f);
    const LrSchedule s = LrSchedule::step_decay(0.1f, 30, 0.1f);  // per whole epoch
    CHECK(at(s, 0) == doctest::Approx(0.1));
    CHECK(at(s, 29, 3) == doctest::Approx(0.1));
    CHECK(at(s, 30) == doctest::Approx(0.01));
    CHECK(at(s, 65) == doctest::Approx(0.001));
  }

  TEST_CASE("cosine runs from lr to the final lr within epochs, per step") {
    const LrSchedule s = LrSchedule::cosine(0.1f, 0.001f, 10);
    CHECK(at(s, 0) == doctest::Approx(0.1));
    CHECK(at(s, 5) == doctest::Approx(0.0505));  // cos(pi/2) = 0: the midpoint
    // t = 2.5: 0.001 + 0.099 * (1 + cos(pi / 4)) / 2
    CHECK(at(s, 2, 2) == doctest::Approx(0.001 + 0.099 * (1 + 0.7071067811865476) / 2));
    CHECK(at(s, 10) == doctest::Approx(0.001));
    CHECK(at(s, 25, 1) == doctest::Approx(0.001));
  }

  TEST_CASE("linear decay: VNQ LeNet-5 and DenseNet settings") {
    const LrSchedule lenet = LrSchedule::linear(1e-3f, 0.0f, 195);
    CHECK(at(lenet, 0) == doctest::Approx(1e-3));
    CHECK(at(lenet, 97, 2) == doctest::Approx(5e-4));  // t = 97.5, half way
    CHECK(at(lenet, 195) == 0.0f);
    const LrSchedule densenet = LrSchedule::linear(5e-3f, 0.0f, 300, 50);
    CHECK(at(densenet, 49, 3) == doctest::Approx(5e-3));
    CHECK(at(densenet, 175) == doctest::Approx(2.5e-3));
    CHECK(at(densenet, 299, 0, 1) == doctest::Approx(2e-5));
  }

  TEST_CASE("linear warm-up composes with any schedule") {
    const LrSchedule s = LrSchedule::step_decay(0.1f, 3, 0.5f).with_warmup(2);
    CHECK(at(s, 0) == 0.0f);
    CHECK(at(s, 0, 2) == doctest::Approx(0.025));  // t = 0.5: 0.1 * 0.25
    CHECK(at(s, 1, 2) == doctest::Approx(0.075));
    CHECK(at(s, 2) == doctest::Approx(0.1));
    CHECK(at(s, 3) == doctest::Approx(0.05));
    const LrSchedule from_tenth = LrSchedule::cosine(1.0f, 0.0f, 4).with_warmup(1, 0.1f);
    CHECK(at(from_tenth, 0) == doctest::Approx(0.1));
    CHECK(at(from_tenth, 0, 2) == doctest::Approx(0.55 * (1 + 0.9238795325112867) / 2));
  }

  TEST_CASE("bad positions and parameters are errors") {
    const LrSchedule s = LrSchedule::constant(1.0f);
    CHECK_THROWS_WITH_AS(at(s, 0, 4, 4), "LrSchedule: invalid position: epoch 0, step 4 of 4",
                         Error);
    CHECK_THROWS_AS(at(s, -1), Error);
    CHECK_THROWS_AS(at(s, 0, 0, 0), Error);
    CHECK_THROWS_AS(LrSchedule::step_decay(0.1f, 0, 0.1f), Error);
    CHECK_THROWS_AS(LrSchedule::linear(0.1f, 0.0f, 10, 10), Error);
  }
}
