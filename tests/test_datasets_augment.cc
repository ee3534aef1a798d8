// C10+ crop/flip augmentation: hand-checked windows and deterministic draws.
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "autograd/error.h"
#include "datasets/augment.h"

using namespace trit;
using namespace trit::datasets;

namespace {

// Two 3x3 channels: 1..9 and 11..19.
const std::vector<float> kImage = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19};

std::vector<float> crop_flip(int64_t top, int64_t left, bool flip) {
  std::vector<float> out(kImage.size(), -1.0f);
  apply_crop_flip(kImage.data(), 2, 3, 3, 1, CropFlipDraw{top, left, flip}, out.data());
  return out;
}

}  // namespace

TEST_SUITE("datasets") {
  TEST_CASE("crop_flip cuts the window from the zero-padded image, then mirrors it") {
    CHECK(crop_flip(1, 1, false) == kImage);  // centre window: the image itself
    CHECK(crop_flip(0, 0, false) ==
          std::vector<float>{0, 0, 0, 0, 1, 2, 0, 4, 5, 0, 0, 0, 0, 11, 12, 0, 14, 15});
    CHECK(crop_flip(1, 1, true) ==
          std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7, 13, 12, 11, 16, 15, 14, 19, 18, 17});
    CHECK(crop_flip(2, 2, true) ==
          std::vector<float>{0, 6, 5, 0, 9, 8, 0, 0, 0, 0, 16, 15, 0, 19, 18, 0, 0, 0});
    CHECK(crop_flip(0, 2, false) ==
          std::vector<float>{0, 0, 0, 2, 3, 0, 5, 6, 0, 0, 0, 0, 12, 13, 0, 15, 16, 0});
    CHECK_THROWS_AS(crop_flip(3, 0, false), Error);
  }

  TEST_CASE("crop_flip draws are a pure function of (seed, epoch, index) and cover the range") {
    const CropFlip options;  // padding 4, flip
    std::set<int64_t> tops, lefts;
    int flips = 0, differs = 0;
    for (int64_t i = 0; i < 400; ++i) {
      const CropFlipDraw a = draw_crop_flip(options, 7, 3, i);
      const CropFlipDraw b = draw_crop_flip(options, 7, 3, i);
      CHECK((a.top == b.top && a.left == b.left && a.flip == b.flip));
      const CropFlipDraw next_epoch = draw_crop_flip(options, 7, 4, i);
      const CropFlipDraw other_seed = draw_crop_flip(options, 8, 3, i);
      differs += next_epoch.top != a.top || next_epoch.left != a.left;
      differs += other_seed.top != a.top || other_seed.left != a.left;
      tops.insert(a.top);
      lefts.insert(a.left);
      flips += a.flip;
    }
    CHECK(tops.size() == 9);
    CHECK(*tops.begin() == 0);
    CHECK(*tops.rbegin() == 8);
    CHECK(lefts.size() == 9);
    CHECK(flips > 150);
    CHECK(flips < 250);
    CHECK(differs > 600);  // 8 of 9 corners differ for unrelated streams
  }

  TEST_CASE("crop_flip without padding or flip leaves the image alone") {
    const CropFlip none{0, false};
    for (int64_t i = 0; i < 50; ++i) {
      const CropFlipDraw draw = draw_crop_flip(none, 1, 0, i);
      CHECK((draw.top == 0 && draw.left == 0 && !draw.flip));
    }
    CHECK_THROWS_WITH_AS(draw_crop_flip(CropFlip{-1, true}, 1, 0, 0),
                         "crop_flip: padding must be >= 0, got -1", Error);
  }
}
