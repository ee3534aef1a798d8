// The sparse ternary path (quant/ternary/kernels/sparse.h): the index lists the codes exactly,
// sparse_ternary_taps matches the float reference on odd sizes and every target and is
// bit-identical for 1 and 2 threads, and ternary_conv2d gives the same outputs on its sparse
// and dense paths.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "quant/ternary/kernels/sparse.h"
#include "quant/ternary/ops.h"
#include "tests/gradcheck.h"
#include "tests/ternary_testing.h"

using namespace trit;
using trit::testing::sparse_random_ternary;

namespace {

std::vector<float> random_values(int64_t count, uint64_t seed) {
  Rng rng(seed);
  return Tensor::normal({count}, 0.0f, 1.0f, rng).to_vector();
}

kernels::SparseTernary index_of(const quant::PackedTernary& w) {
  return kernels::sparse_ternary(w.bytes.data(), w.rows, w.cols,
                                 quant::ternary_bytes_per_row(w.cols));
}

// `images` inputs of `stride` floats and k run offsets into them (overlapping shifted runs,
// as a stride-1 convolution reads its taps).
struct Runs {
  int64_t images, k, n, stride;
  std::vector<int64_t> offsets;
  std::vector<float> input;
  Runs(int64_t images, int64_t k, int64_t n, uint64_t seed)
      : images(images), k(k), n(n), stride(3 * k + n + 5) {
    Rng rng(seed);
    for (int64_t p = 0; p < k; ++p) offsets.push_back(int64_t(rng.below(uint64_t(3 * k + 1))));
    input = random_values(std::max<int64_t>(images * stride, 1), seed + 1);
  }
  kernels::TapRuns taps() const { return {input.data(), stride, offsets.data(), images}; }
  float at(int64_t b, int64_t p, int64_t j) const {
    return input[size_t(b * stride + offsets[size_t(p)] + j)];
  }
};

std::vector<float> sparse_product(const Runs& runs, const quant::PackedTernary& w,
                                  const float* bias) {
  std::vector<float> y(size_t(std::max<int64_t>(runs.images * w.rows * runs.n, 1)),
                       std::numeric_limits<float>::quiet_NaN());
  kernels::sparse_ternary_taps(runs.taps(), runs.n, index_of(w), w.level, bias, y.data());
  return y;
}

void check_against_reference(int64_t images, int64_t k, int64_t n, int64_t out, double nonzero,
                             bool with_bias) {
  CAPTURE(images);
  CAPTURE(k);
  CAPTURE(n);
  CAPTURE(out);
  CAPTURE(nonzero);
  const quant::PackedTernary w = sparse_random_ternary(out, k, nonzero, 0.37f, 41);
  const std::vector<int8_t> codes = quant::unpack_ternary(w);
  const Runs runs(images, k, n, 42);
  const std::vector<float> bias = random_values(std::max<int64_t>(out, 1), 43);
  const std::vector<float> got = sparse_product(runs, w, with_bias ? bias.data() : nullptr);
  const float eps = std::numeric_limits<float>::epsilon();
  int64_t bad = -1;
  for (int64_t b = 0; b < images && bad < 0; ++b)
    for (int64_t o = 0; o < out && bad < 0; ++o)
      for (int64_t j = 0; j < n && bad < 0; ++j) {
        double want = with_bias ? bias[size_t(o)] : 0.0, bound = std::abs(want);
        for (int64_t p = 0; p < k; ++p) {
          const double term = double(w.level) * codes[size_t(o * k + p)] * runs.at(b, p, j);
          want += term;
          bound += std::abs(term);
        }
        const int64_t i = (b * out + o) * n + j;
        if (!(std::abs(got[size_t(i)] - want) <= double(k + 8) * eps * bound)) {
          MESSAGE("image " << b << " row " << o << " position " << j << ": got "
                           << got[size_t(i)] << ", want " << want);
          bad = i;
        }
      }
  REQUIRE(bad < 0);
}

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("sparse_ternary lists each row's +1 then -1 columns, padding and garbage ignored") {
    const quant::PackedTernary w = sparse_random_ternary(7, 23, 0.4, 0.5f, 3);
    const int64_t tight = quant::ternary_bytes_per_row(w.cols), row_bytes = tight + 2;
    std::vector<uint8_t> bytes(size_t(w.rows * row_bytes), 0xAA);  // 10: invalid codes
    for (int64_t r = 0; r < w.rows; ++r)
      for (int64_t b = 0; b < tight; ++b)
        bytes[size_t(r * row_bytes + b)] = w.bytes[size_t(r * tight + b)];
    const kernels::SparseTernary index =
        kernels::sparse_ternary(bytes.data(), w.rows, w.cols, row_bytes);
    const std::vector<int8_t> codes = quant::unpack_ternary(w);
    REQUIRE(index.starts.size() == 8);
    REQUIRE(index.minus.size() == 7);
    std::vector<int8_t> rebuilt(codes.size(), 0);
    for (int64_t o = 0; o < w.rows; ++o) {
      CHECK(index.starts[size_t(o)] <= index.minus[size_t(o)]);
      CHECK(index.minus[size_t(o)] <= index.starts[size_t(o) + 1]);
      for (int64_t i = index.starts[size_t(o)]; i < index.starts[size_t(o) + 1]; ++i) {
        const bool plus = i < index.minus[size_t(o)];
        const int32_t column = index.columns[size_t(i)];
        if (i != index.starts[size_t(o)] && i != index.minus[size_t(o)])
          CHECK(index.columns[size_t(i) - 1] < column);  // increasing within a list
        rebuilt[size_t(o * w.cols + column)] = plus ? 1 : -1;
      }
    }
    CHECK(rebuilt == codes);
    int64_t nonzero = 0;
    for (int8_t c : codes) nonzero += c != 0;
    CHECK(index.nonzero() == nonzero);
    CHECK(index.density() == doctest::Approx(double(nonzero) / double(7 * 23)));
    CHECK(kernels::sparse_ternary(nullptr, 0, 5, 2).density() == 0.0);
  }

  TEST_CASE("sparse_ternary_taps matches the float reference on odd sizes, every target") {
    trit::testing::for_each_target([] {
      // positions around one vector and a block of four (4 to 64 floats), depths with empty
      // and odd-length lists, densities from none to all
      for (int64_t n : {0, 1, 3, 7, 8, 9, 17, 31, 33, 64, 67})
        for (int64_t k : {0, 1, 2, 9, 40})
          for (double nonzero : {0.0, 0.1, 0.35, 1.0})
            check_against_reference(1 + n % 2, k, n, 5 + k % 4, nonzero, (n + k) % 2 == 0);
      check_against_reference(2, 500, 144, 50, 0.15, true);  // LeNet-5 conv2's shape
    });
  }

  TEST_CASE("sparse_ternary_linear matches the float reference, every target") {
    trit::testing::for_each_target([] {
      // list lengths around one and two gathers of 4, 8 or 16 lanes, and a long row
      for (int64_t k : {0, 1, 5, 8, 16, 17, 33, 70, 800})
        for (double nonzero : {0.0, 0.15, 0.5, 1.0})
          for (int64_t n : {1, 3}) {
            CAPTURE(k);
            CAPTURE(nonzero);
            CAPTURE(n);
            const int64_t out = 6;
            const quant::PackedTernary w = sparse_random_ternary(out, k, nonzero, 0.41f, 81);
            const std::vector<int8_t> codes = quant::unpack_ternary(w);
            const std::vector<float> x = random_values(std::max<int64_t>(n * k, 1), 82),
                                     bias = random_values(out, 83);
            std::vector<float> y(size_t(n * out), std::numeric_limits<float>::quiet_NaN());
            kernels::sparse_ternary_linear(x.data(), n, index_of(w), w.level, bias.data(),
                                           y.data());
            const float eps = std::numeric_limits<float>::epsilon();
            for (int64_t i = 0; i < n; ++i)
              for (int64_t o = 0; o < out; ++o) {
                double want = bias[size_t(o)], bound = std::abs(want);
                for (int64_t p = 0; p < k; ++p) {
                  const double term =
                      double(w.level) * codes[size_t(o * k + p)] * x[size_t(i * k + p)];
                  want += term;
                  bound += std::abs(term);
                }
                CHECK(std::abs(y[size_t(i * out + o)] - want) <= double(k + 8) * eps * bound);
              }
          }
    });
  }

  TEST_CASE("sparse_ternary_taps is bit-identical for 1 and 2 threads") {
    const int saved = kernels::num_threads();
    // one image (rows split over threads) and three (images split)
    for (int64_t images : {1, 3}) {
      CAPTURE(images);
      const quant::PackedTernary w = sparse_random_ternary(70, 300, 0.2, 0.5f, 51);
      const Runs runs(images, 300, 520, 52);
      const std::vector<float> bias = random_values(70, 53);
      kernels::set_num_threads(1);
      const std::vector<float> one = sparse_product(runs, w, bias.data());
      kernels::set_num_threads(2);
      const std::vector<float> two = sparse_product(runs, w, bias.data());
      CHECK(one == two);
    }
    kernels::set_num_threads(saved);
  }
}

TEST_SUITE("quant") {
  TEST_CASE("ternary_conv2d: the sparse path equals the dense one within float rounding") {
    trit::testing::for_each_target([] {
      struct Conv {
        int64_t channels, out, size, kernel, stride, padding;
      };
      // stride 1 with padding (shifted runs), strided (im2col), pointwise, LeNet-5's conv1
      for (const Conv& c : {Conv{6, 9, 11, 3, 1, 1}, Conv{5, 7, 12, 3, 2, 1},
                            Conv{12, 10, 7, 1, 1, 0}, Conv{1, 20, 28, 5, 1, 0}}) {
        CAPTURE(c.kernel);
        CAPTURE(c.stride);
        const int64_t taps = c.channels * c.kernel * c.kernel;
        const quant::PackedTernary w = sparse_random_ternary(c.out, taps, 0.2, 0.3f, 61);
        const kernels::SparseTernary index = index_of(w);
        REQUIRE(index.density() <= quant::kSparseDensity);
        Rng rng(62);
        const Tensor x = Tensor::normal({3, c.channels, c.size, c.size}, 0.0f, 1.0f, rng);
        const Tensor bias = Tensor::normal({c.out}, 0.0f, 1.0f, rng);
        const Tensor dense = quant::ternary_conv2d(x, w, c.kernel, c.stride, c.padding, bias);
        const Tensor sparse =
            quant::ternary_conv2d(x, w, c.kernel, c.stride, c.padding, bias, &index);
        REQUIRE(sparse.shape() == dense.shape());
        const std::vector<float> a = dense.to_vector(), b = sparse.to_vector();
        float worst = 0.0f;
        for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
        CHECK(worst <= 1e-5f);
        CHECK(a != b);  // a different order of additions: not the dense path run twice
      }
    });
  }

  TEST_CASE("ternary_linear: the sparse paths equal the dense one within float rounding") {
    Rng rng(92);
    const Tensor bias = Tensor::normal({50}, 0.0f, 1.0f, rng);
    // 15 % and 30 % non-zero: either side of kSparseLinearDensity
    for (double nonzero : {0.15, 0.3}) {
      const quant::PackedTernary w = sparse_random_ternary(50, 800, nonzero, 0.2f, 91);
      const kernels::SparseTernary index = index_of(w);
      for (int64_t n : {1, 3, 4, 64}) {
        CAPTURE(nonzero);
        CAPTURE(n);
        const Tensor x = Tensor::normal({n, 800}, 0.0f, 1.0f, rng);
        const std::vector<float> dense = quant::ternary_linear(x, w, bias).to_vector(),
                                 sparse = quant::ternary_linear(x, w, bias, &index).to_vector();
        float worst = 0.0f;
        for (size_t i = 0; i < dense.size(); ++i)
          worst = std::max(worst, std::abs(dense[i] - sparse[i]));
        CHECK(worst <= 1e-5f);
        // another order of additions where it skips the zeros: a few rows up to
        // kSparseLinearDensity; more rows at 15 % (at 30 % the transposes of 50 x 800 do not pay)
        if (n <= quant::kSparseLinearRows)
          CHECK((dense != sparse) == (index.density() <= quant::kSparseLinearDensity));
        else if (nonzero < 0.2)
          CHECK(dense != sparse);
      }
    }
  }

  TEST_CASE("ternary_conv2d refuses a sparse index of other codes") {
    const quant::PackedTernary w = sparse_random_ternary(4, 18, 0.2, 0.3f, 71);
    const quant::PackedTernary other = sparse_random_ternary(4, 27, 0.2, 0.3f, 72);
    const kernels::SparseTernary index = index_of(other);
    Rng rng(73);
    const Tensor x = Tensor::normal({1, 2, 5, 5}, 0.0f, 1.0f, rng);
    CHECK_THROWS_WITH_AS(quant::ternary_conv2d(x, w, 3, 1, 1, Tensor(), &index),
                         doctest::Contains("sparse index [4,27] does not match weight [4,18]"),
                         Error);
  }
}
