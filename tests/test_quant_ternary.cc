// The 2-bit ternary format (pack, unpack, validation errors) and the ternary inference ops
// against the float ops on the unpacked weights.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/conv.h"
#include "autograd/ops/matmul.h"
#include "quant/ternary/ops.h"
#include "quant/ternary/pack.h"
#include "tests/gradcheck.h"
#include "tests/ternary_testing.h"

using namespace trit;
using namespace trit::quant;
using trit::testing::random_codes;
using trit::testing::random_ternary;

namespace {

// |got - want| <= tol * (1 + |want|) element by element (float sums in another order).
void check_close(const Tensor& got, const Tensor& want, float tol = 1e-5f) {
  REQUIRE(got.shape() == want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    CAPTURE(i);
    REQUIRE(std::abs(got.data()[i] - want.data()[i]) <= tol * (1 + std::abs(want.data()[i])));
  }
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("pack_ternary writes the documented bytes") {
    const int8_t codes[] = {+1, 0, -1, +1, -1, 0, 0, 0, +1};  // 1 x 5, then 3 x 3
    const PackedTernary one_row = pack_ternary(codes, 1, 5, 0.5f);
    CHECK(one_row.bytes == std::vector<uint8_t>{0x71, 0x03});
    const PackedTernary rows = pack_ternary(codes, 3, 3, 0.5f);  // each row padded to a byte
    CHECK(rows.bytes == std::vector<uint8_t>{0x31, 0x0D, 0x10});
    CHECK(ternary_bytes_per_row(0) == 0);
    CHECK(ternary_bytes_per_row(4) == 1);
    CHECK(ternary_bytes_per_row(5) == 2);
  }

  TEST_CASE("pack then unpack gives the codes back, odd sizes included") {
    const int64_t sizes[][2] = {{0, 0}, {0, 5}, {3, 0}, {1, 1}, {3, 5}, {7, 13}, {4, 8}, {2, 1001}};
    for (const auto& size : sizes) {
      const int64_t rows = size[0], cols = size[1];
      CAPTURE(rows);
      CAPTURE(cols);
      const std::vector<int8_t> codes = random_codes(rows, cols, uint64_t(rows * 1000 + cols));
      const PackedTernary packed = pack_ternary(codes.data(), rows, cols, 0.25f);
      CHECK(int64_t(packed.bytes.size()) == rows * ((cols + 3) / 4));
      CHECK(unpack_ternary(packed) == codes);
      const Tensor weights = ternary_to_float(packed);
      CHECK(weights.shape() == Shape{rows, cols});
      for (size_t i = 0; i < codes.size(); ++i) CHECK(weights.data()[i] == 0.25f * codes[i]);
    }
  }

  TEST_CASE("invalid codes, sizes and levels are errors naming the place") {
    const int8_t bad[] = {1, 0, 2, -1};
    CHECK_THROWS_WITH_AS(pack_ternary(bad, 2, 2, 1.0f),
                         "pack_ternary: code 2 at row 1, column 0 is not -1, 0 or +1", Error);
    CHECK_THROWS_WITH_AS(pack_ternary(bad, 1, 1, std::numeric_limits<float>::infinity()),
                         "pack_ternary: level inf is not finite", Error);
    // [2,5] codes: 2 bytes a row; code 4 is byte 1, bits 0-1; code 6 is byte 1, bits 4-5.
    CHECK_THROWS_WITH_AS(validate_ternary(PackedTernary{2, 5, 0.5f, {0, 0, 0, 0x02}}),
                         "validate_ternary: invalid code 10 at row 1, column 4", Error);
    CHECK_THROWS_WITH_AS(validate_ternary(PackedTernary{2, 5, 0.5f, {0, 0x10, 0, 0}}),
                         "validate_ternary: non-zero padding at row 0, column 6", Error);
    CHECK_THROWS_WITH_AS(validate_ternary(PackedTernary{2, 5, 0.5f, {0, 0, 0}}),
                         "validate_ternary: 3 bytes for [2,5] codes, expected 4", Error);
    CHECK_THROWS_WITH_AS(validate_ternary(PackedTernary{-1, 5, 0.5f, {}}),
                         "validate_ternary: negative size [-1,5]", Error);
    const auto packed = [](std::vector<uint8_t> bytes) {
      return PackedTernary{2, 5, 0.5f, std::move(bytes)};
    };
    CHECK_THROWS_WITH_AS(unpack_ternary(packed({0x80, 0, 0, 0})),
                         "unpack_ternary: invalid code 10 at row 0, column 3", Error);
    CHECK_NOTHROW(validate_ternary(packed({0x71, 0x03, 0xFF, 0x03})));
  }

  TEST_CASE("ternary_linear equals linear with the unpacked float weights") {
    for (int64_t batch : {1, 2, 3, 5, 64}) {
      for (bool with_bias : {false, true}) {
        CAPTURE(batch);
        CAPTURE(with_bias);
        const PackedTernary w = random_ternary(37, 203, 0.0625f, uint64_t(batch));
        const Tensor x = trit::testing::random_input({batch, 203}, 2).detach();
        const Tensor bias = with_bias ? trit::testing::random_input({37}, 3).detach() : Tensor();
        check_close(ternary_linear(x, w, bias), linear(x, ternary_to_float(w), bias));
      }
    }
  }

  TEST_CASE("ternary_conv2d equals conv2d with the unpacked float weights") {
    struct ConvCase {
      int64_t batch, channels, out_channels, size, kernel, stride, padding;
      bool bias;
    };
    const ConvCase cases[] = {
        {2, 20, 50, 12, 5, 1, 0, true},  // LeNet-5 conv2
        {3, 1, 20, 28, 5, 1, 0, false},  // LeNet-5 conv1
        {2, 3, 5, 9, 3, 1, 1, true},    {2, 2, 3, 7, 3, 2, 1, false},
        {3, 4, 7, 8, 1, 1, 0, true},                                  // pointwise: no im2col
        {1, 5, 6, 6, 1, 2, 0, true},    {1, 2, 3, 5, 3, 1, 3, true},  // padding >= kernel: im2col
    };
    for (const ConvCase& c : cases) {
      CAPTURE(c.channels);
      CAPTURE(c.size);
      CAPTURE(c.kernel);
      CAPTURE(c.stride);
      const int64_t taps = c.channels * c.kernel * c.kernel;
      const PackedTernary w = random_ternary(c.out_channels, taps, 0.125f, uint64_t(taps));
      const Tensor x =
          trit::testing::random_input({c.batch, c.channels, c.size, c.size}, 4).detach();
      const Tensor bias =
          c.bias ? trit::testing::random_input({c.out_channels}, 5).detach() : Tensor();
      const Tensor weight =
          ternary_to_float(w).view({c.out_channels, c.channels, c.kernel, c.kernel});
      check_close(ternary_conv2d(x, w, c.kernel, c.stride, c.padding, bias),
                  conv2d(x, weight, bias, {c.stride, c.padding, 1}));
    }
  }

  TEST_CASE("ternary_conv2d results are bit-identical for 1 and 2 threads") {
    const PackedTernary w = random_ternary(50, 500, 0.125f, 1);
    const Tensor x = trit::testing::random_input({6, 20, 12, 12}, 2).detach();
    const Tensor bias = trit::testing::random_input({50}, 3).detach();
    const int saved = kernels::num_threads();
    kernels::set_num_threads(1);
    const Tensor one = ternary_conv2d(x, w, 5, 1, 0, bias);
    kernels::set_num_threads(2);
    const Tensor two = ternary_conv2d(x, w, 5, 1, 0, bias);
    kernels::set_num_threads(saved);
    CHECK(one.to_vector() == two.to_vector());
  }

  TEST_CASE("ternary ops do not record, even on inputs that require grad") {
    const PackedTernary w = random_ternary(4, 6, 0.5f, 1);
    const Tensor x = trit::testing::random_input({2, 6}, 2);
    const size_t before = tape_size();
    const Tensor y = ternary_linear(x, w, trit::testing::random_input({4}, 3));
    const Tensor image = trit::testing::random_input({1, 6, 3, 3}, 4);
    const Tensor z = ternary_conv2d(image, w, 1, 1, 0, trit::testing::random_input({4}, 5));
    CHECK(tape_size() == before);
    CHECK_FALSE(y.requires_grad());
    CHECK_FALSE(z.requires_grad());
    clear_tape();
  }

  TEST_CASE("ternary_linear rejects mismatched shapes") {
    const PackedTernary w = random_ternary(500, 800, 0.5f, 1);
    CHECK_THROWS_WITH_AS(ternary_linear(Tensor::zeros({64, 799}), w),
                         "ternary_linear: input [64,799] does not match weight [500,800]", Error);
    CHECK_THROWS_WITH_AS(ternary_linear(Tensor::zeros({800}), w),
                         "ternary_linear: input [800] does not match weight [500,800]", Error);
    CHECK_THROWS_WITH_AS(ternary_linear(Tensor::zeros({2, 800}), w, Tensor::zeros({499})),
                         "ternary_linear: bias [499] does not match weight [500,800]", Error);
    PackedTernary truncated = w;
    truncated.bytes.pop_back();
    CHECK_THROWS_WITH_AS(ternary_linear(Tensor::zeros({2, 800}), truncated),
                         "ternary_linear: packed weight [500,800] holds 99999 bytes", Error);
  }

  TEST_CASE("ternary_conv2d rejects mismatched shapes") {
    const PackedTernary w = random_ternary(4, 18, 0.5f, 1);
    CHECK_THROWS_WITH_AS(ternary_conv2d(Tensor::zeros({2, 3, 8, 8}), w, 3, 1, 0),
                         "ternary_conv2d: input [2,3,8,8] with a 3x3 kernel needs 27 weight "
                         "columns, weight [4,18] has 18",
                         Error);
    CHECK_THROWS_WITH_AS(ternary_conv2d(Tensor::zeros({3, 8, 8}), w, 3, 1, 0),
                         "ternary_conv2d: input [3,8,8] must be 4-d [N,C,H,W]", Error);
    CHECK_THROWS_WITH_AS(ternary_conv2d(Tensor::zeros({1, 2, 2, 2}), w, 3, 1, 0),
                         "ternary_conv2d: input [1,2,2,2] padded by 0 is smaller than the 3x3 "
                         "kernel",
                         Error);
    CHECK_THROWS_WITH_AS(
        ternary_conv2d(Tensor::zeros({1, 2, 8, 8}), w, 3, 1, 0, Tensor::zeros({5})),
        "ternary_conv2d: bias [5] does not match weight [4,18]", Error);
    CHECK_NOTHROW(ternary_conv2d(Tensor::zeros({1, 2, 8, 8}), w, 3, 2, 1));
  }
}
