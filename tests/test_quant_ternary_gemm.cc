// ternary_gemm, ternary_gemm_columns and ternary_gemm_taps against the float reference
// (gemm_reference with the weights level * code) on odd sizes and every target, garbage in row
// padding ignored, and bit-identical results for 1 and 2 threads on both kernel paths.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/kernels/gemm.h"
#include "autograd/kernels/parallel.h"
#include "autograd/tensor.h"
#include "quant/ternary/kernels/gemm.h"
#include "tests/gradcheck.h"
#include "tests/ternary_testing.h"

using namespace trit;

namespace {

struct Case {
  int64_t n, k, out;
  bool columns = false;  // ternary_gemm_columns (x is images x [k, n], y images x [out, n])
  bool bias = true;
  int64_t extra_bytes = 0;  // row stride beyond ceil(k / 4), filled with garbage codes
  int64_t images = 1;       // columns only

  int64_t x_size() const { return images * n * k; }
  int64_t y_size() const { return images * n * out; }
};

std::vector<float> random_values(int64_t count, uint64_t seed) {
  Rng rng(seed);
  return Tensor::normal({count}, 0.0f, 1.0f, rng).to_vector();
}

// The packed rows copied into rows of row_bytes, the extra bytes and the padding codes
// after column k set to garbage (including the invalid 10) that the kernel must ignore.
std::vector<uint8_t> with_garbage_padding(const quant::PackedTernary& w, int64_t row_bytes) {
  const int64_t tight = quant::ternary_bytes_per_row(w.cols);
  std::vector<uint8_t> bytes(size_t(std::max<int64_t>(w.rows * row_bytes, 1)), 0xAA);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t b = 0; b < tight; ++b) {
      const int64_t first_padding = w.cols - 4 * b;  // codes of byte b at or past column k
      const uint8_t keep = first_padding >= 4 ? 0xFF : uint8_t((1u << (2 * first_padding)) - 1);
      bytes[size_t(r * row_bytes + b)] =
          uint8_t((w.bytes[size_t(r * tight + b)] & keep) | (0xAA & ~keep));
    }
  return bytes;
}

std::vector<float> run(const Case& t, const std::vector<float>& x, const std::vector<uint8_t>& w,
                       int64_t row_bytes, float level, const float* bias) {
  std::vector<float> y(size_t(std::max<int64_t>(t.y_size(), 1)),
                       std::numeric_limits<float>::quiet_NaN());
  if (t.columns) {
    kernels::ternary_gemm_columns(x.data(), t.images, t.k, t.n, w.data(), t.out, row_bytes, level,
                                  bias, y.data());
  } else {
    kernels::ternary_gemm(x.data(), t.n, t.k, w.data(), t.out, row_bytes, level, bias, y.data());
  }
  return y;
}

// y and a rounding bound from gemm_reference on the float weights, in the case's layout:
// y[n, out] = x W^T + bias, or y_b[out, n] = W x_b + bias per image b.
void reference(const Case& t, const std::vector<float>& x, const std::vector<float>& weights,
               const std::vector<float>& bias, std::vector<float>& want,
               std::vector<float>& bound) {
  const auto product = [&](const std::vector<float>& a, const std::vector<float>& w,
                           std::vector<float>& y) {
    y.assign(size_t(std::max<int64_t>(t.y_size(), 1)), 0.0f);
    if (t.columns) {
      for (int64_t b = 0; b < t.images; ++b)
        kernels::gemm_reference(false, false, t.out, t.n, t.k, 1.0f, w.data(), t.k,
                                a.data() + b * t.k * t.n, t.n, 0.0f, y.data() + b * t.out * t.n,
                                t.n);
    } else {
      kernels::gemm_reference(false, true, t.n, t.out, t.k, 1.0f, a.data(), t.k, w.data(), t.k,
                              0.0f, y.data(), t.out);
    }
  };
  const auto absolute = [](std::vector<float> v) {
    for (float& e : v) e = std::abs(e);
    return v;
  };
  product(x, weights, want);
  product(absolute(x), absolute(weights), bound);
  for (int64_t i = 0; i < t.y_size(); ++i) {
    const int64_t unit = t.columns ? i / t.n % t.out : i % t.out;
    if (!t.bias) continue;
    want[size_t(i)] += bias[size_t(unit)];
    bound[size_t(i)] += std::abs(bias[size_t(unit)]);
  }
}

void check_case(const Case& t) {
  CAPTURE(t.n);
  CAPTURE(t.k);
  CAPTURE(t.out);
  CAPTURE(t.columns);
  CAPTURE(t.bias);
  CAPTURE(t.extra_bytes);
  CAPTURE(t.images);
  const float level = 0.37f;
  const quant::PackedTernary w = trit::testing::random_ternary(t.out, t.k, level, 11);
  const std::vector<float> weights = quant::ternary_to_float(w).to_vector();
  const std::vector<float> x = random_values(t.x_size(), 12), bias = random_values(t.out, 13);
  const int64_t row_bytes = quant::ternary_bytes_per_row(t.k) + t.extra_bytes;
  const std::vector<float> got = run(t, x, with_garbage_padding(w, row_bytes), row_bytes, level,
                                     t.bias ? bias.data() : nullptr);
  std::vector<float> want, bound;
  reference(t, x, weights, bias, want, bound);
  const float eps = std::numeric_limits<float>::epsilon();
  int64_t bad = -1;  // the first element outside the rounding bound (one assertion a case)
  for (int64_t i = 0; i < t.y_size() && bad < 0; ++i)
    if (!(std::abs(got[size_t(i)] - want[size_t(i)]) <= float(t.k + 8) * eps * bound[size_t(i)]))
      bad = i;
  if (bad >= 0)
    MESSAGE("element " << bad << ": got " << got[size_t(bad)] << ", want " << want[size_t(bad)]);
  REQUIRE(bad < 0);
}

// Batch rows around both kernel paths (1-3: row-dot) and a micro-tile (6 or 12); k around
// whole bytes and a k block (256); units around a micro-tile (8 to 32) and a panel (512).
const int64_t kRows[] = {0, 1, 3, 4, 13, 25, 130};
const int64_t kDepths[] = {0, 1, 4, 5, 17, 64, 257, 1001};
const int64_t kUnits[] = {0, 1, 5, 16, 17, 33, 65, 530};

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("ternary_gemm matches the float reference on odd sizes, every target") {
    trit::testing::for_each_target([] {
      for (int64_t n : kRows)
        for (int64_t k : kDepths)
          for (int64_t out : kUnits) {
            if ((n > 25) + (k > 64) + (out > 33) > 1) continue;  // one large size: stays fast
            const bool bias = (n + k + out) % 2 == 0;
            check_case({n, k, out, false, bias, (n + k) % 3});
            check_case({n, k, out, true, bias, (n + k) % 3, 1 + k % 2});  // 1 or 2 images
          }
    });
  }

  TEST_CASE("ternary_gemm crosses k blocks and panels with large sizes") {
    for (int columns = 0; columns < 2; ++columns) {
      check_case({13, 600, 530, bool(columns)});
      check_case({1, 1000, 600, bool(columns), false, 1});
    }
    check_case({64, 500, 50, true, true, 0, 3});  // LeNet-5 conv2, 3 images
  }

  TEST_CASE("ternary_gemm_taps equals ternary_gemm_columns on the materialised runs") {
    trit::testing::for_each_target([] {
      const int64_t images = 2, k = 37, n = 45, out = 29, span = 200, stride = span + n + 3;
      Rng rng(31);
      std::vector<int64_t> offsets(static_cast<size_t>(k));
      for (int64_t& o : offsets) o = int64_t(rng.below(span));  // overlapping shifted runs
      const std::vector<float> input = random_values(images * stride, 32);
      std::vector<float> columns(size_t(images * k * n));  // [images][k][n]
      for (int64_t b = 0; b < images; ++b)
        for (int64_t p = 0; p < k; ++p)
          for (int64_t q = 0; q < n; ++q)
            columns[size_t((b * k + p) * n + q)] = input[size_t(b * stride + offsets[p] + q)];
      const quant::PackedTernary w = trit::testing::random_ternary(out, k, 0.25f, 33);
      const std::vector<float> bias = random_values(out, 34);
      const int64_t row_bytes = quant::ternary_bytes_per_row(k);
      std::vector<float> from_taps(size_t(images * out * n)), from_columns(from_taps.size());
      kernels::ternary_gemm_taps({input.data(), stride, offsets.data(), images}, k, n,
                                 w.bytes.data(), out, row_bytes, w.level, bias.data(),
                                 from_taps.data());
      kernels::ternary_gemm_columns(columns.data(), images, k, n, w.bytes.data(), out, row_bytes,
                                    w.level, bias.data(), from_columns.data());
      CHECK(from_taps == from_columns);
      check_case({n, k, out, true, true, 0, images});  // and the column path is right
    });
  }

  TEST_CASE("ternary_gemm results are bit-identical for 1 and 2 threads") {
    const int saved = kernels::num_threads();
    // Linear: row-dot path (n <= 3), panel path split over units, and over rows (few units);
    // columns: split over units, and over columns.
    const Case cases[] = {{1, 1000, 600},
                          {3, 700, 450},
                          {64, 300, 200},
                          {500, 300, 9},
                          {64, 300, 70, true, true, 0, 3},
                          {500, 100, 9, true, true, 0, 2}};
    for (const Case& t : cases) {
      CAPTURE(t.n);
      CAPTURE(t.k);
      CAPTURE(t.out);
      const quant::PackedTernary w = trit::testing::random_ternary(t.out, t.k, 0.5f, 21);
      const std::vector<float> x = random_values(t.x_size(), 22), bias = random_values(t.out, 23);
      const int64_t row_bytes = quant::ternary_bytes_per_row(t.k);
      kernels::set_num_threads(1);
      const std::vector<float> one = run(t, x, w.bytes, row_bytes, w.level, bias.data());
      kernels::set_num_threads(2);
      const std::vector<float> two = run(t, x, w.bytes, row_bytes, w.level, bias.data());
      CHECK(one == two);
      check_case(t);  // and both agree with the reference (2 threads here)
    }
    kernels::set_num_threads(saved);
  }
}
