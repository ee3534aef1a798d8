// The optional 8-bit activation path of the ternary convolutions: quantize_activations rounds
// and clamps as documented, sparse_ternary_taps_int16 gives the exact integer sums (also past
// the 16-bit range, on every target, for any thread count), ternary_conv2d with an
// activation scale stays within its rounding bound of the exact path, and
// calibrate_activations sets each convolution's scale from the inputs it saw.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/unary.h"
#include "nn/activation.h"
#include "nn/sequential.h"
#include "quant/ternary/activations.h"
#include "quant/ternary/kernels/sparse_int16.h"
#include "quant/ternary/layers.h"
#include "quant/ternary/ops.h"
#include "tests/gradcheck.h"
#include "tests/ternary_testing.h"

using namespace trit;
using trit::testing::sparse_random_ternary;

namespace {

kernels::SparseTernary index_of(const quant::PackedTernary& w) {
  return kernels::sparse_ternary(w.bytes.data(), w.rows, w.cols,
                                 quant::ternary_bytes_per_row(w.cols));
}

// `images` int16 inputs with k run offsets into each (overlapping shifted runs); values in
// [-127, 127], or all 127 when `saturated` (the largest sums).
struct Int16Runs {
  int64_t images, k, n, stride;
  std::vector<int64_t> offsets;
  std::vector<int16_t> input;
  Int16Runs(int64_t images, int64_t k, int64_t n, uint64_t seed, bool saturated = false)
      : images(images), k(k), n(n), stride(3 * k + n + 5) {
    Rng rng(seed);
    for (int64_t p = 0; p < k; ++p) offsets.push_back(int64_t(rng.below(uint64_t(3 * k + 1))));
    input.resize(size_t(std::max<int64_t>(images * stride, 1)));
    for (int16_t& v : input) v = saturated ? 127 : int16_t(int(rng.below(255)) - 127);
  }
  kernels::TapRunsInt16 taps() const { return {input.data(), stride, offsets.data(), images}; }
};

// The expected outputs: the sum in 64-bit integers, then scale and bias in two roundings.
std::vector<float> exact_product(const Int16Runs& runs, const quant::PackedTernary& w,
                                 float scale, const float* bias) {
  const std::vector<int8_t> codes = quant::unpack_ternary(w);
  std::vector<float> y(size_t(runs.images * w.rows * runs.n));
  for (int64_t b = 0; b < runs.images; ++b)
    for (int64_t o = 0; o < w.rows; ++o)
      for (int64_t j = 0; j < runs.n; ++j) {
        int64_t sum = 0;
        for (int64_t p = 0; p < runs.k; ++p)
          sum += codes[size_t(o * runs.k + p)] *
                 runs.input[size_t(b * runs.stride + runs.offsets[size_t(p)] + j)];
        const float scaled = scale * static_cast<float>(sum);
        y[size_t((b * w.rows + o) * runs.n + j)] = scaled + (bias ? bias[o] : 0.0f);
      }
  return y;
}

std::vector<float> int16_product(const Int16Runs& runs, const quant::PackedTernary& w,
                                 float scale, const float* bias) {
  std::vector<float> y(size_t(std::max<int64_t>(runs.images * w.rows * runs.n, 1)),
                       std::numeric_limits<float>::quiet_NaN());
  kernels::sparse_ternary_taps_int16(runs.taps(), runs.n, index_of(w), scale, bias, y.data());
  y.resize(size_t(runs.images * w.rows * runs.n));
  return y;
}

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("quantize_activations rounds half to even, clamps to +-127, NaN to 0") {
    const float s = 0.25f;
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x = {0.5f * s, 1.5f * s,  2.5f * s, -2.5f * s, -0.49f * s,
                                  126.6f * s, 200 * s, -inf,     inf,       std::nanf(""),
                                  3 * s,     -127 * s, 0.0f};
    const std::vector<int16_t> want = {0, 2, 2, -2, 0, 127, 127, -127, 127, 0, 3, -127, 0};
    trit::testing::for_each_target([&] {
      for (size_t length : {x.size(), size_t(1), size_t(8)}) {  // vector body and scalar tail
        CAPTURE(length);
        std::vector<int16_t> q(length, 99);
        kernels::quantize_activations(x.data(), int64_t(length), s, q.data());
        CHECK(q == std::vector<int16_t>(want.begin(), want.begin() + long(length)));
      }
    });
  }

  TEST_CASE("quantize_padded is wide_input then quantize_activations, in one pass") {
    const kernels::WideConv g{3, 7 + 2, 10 + 4, 3, 5};  // pad 1 rows, 2 columns
    Rng rng(17);
    const std::vector<float> x = Tensor::normal({3 * 7 * 10}, 0.0f, 1.0f, rng).to_vector();
    std::vector<float> padded(size_t(g.input_size()), 99.0f);
    kernels::wide_input(x.data(), g, 1, 2, padded.data());
    std::vector<int16_t> want(padded.size()), got(padded.size(), 99);
    kernels::quantize_activations(padded.data(), int64_t(padded.size()), 0.02f, want.data());
    trit::testing::for_each_target([&] {
      std::fill(got.begin(), got.end(), int16_t{99});
      kernels::quantize_padded(x.data(), g, 1, 2, 0.02f, got.data());
      CHECK(got == want);
    });
  }

  TEST_CASE("sparse_ternary_taps_int16 is the exact integer sum on every target") {
    struct Case {
      int64_t images, k, n, out;
      double nonzero;
      bool saturated;
    };
    // Odd sizes cover the 8-vector blocks, a partial block and the scalar positions; 700
    // all-+1 taps of 127 sum to 88,900, far past int16 (the 258-term chunks must hold).
    const Case cases[] = {{1, 9, 1, 3, 0.5, false},    {2, 27, 17, 5, 0.3, false},
                          {1, 432, 300, 12, 0.1, false}, {3, 20, 257, 4, 0.9, false},
                          {1, 700, 70, 2, 1.0, true},    {2, 1000, 33, 3, 0.6, false}};
    trit::testing::for_each_target([&] {
      for (const Case& c : cases) {
        CAPTURE(c.k);
        CAPTURE(c.n);
        const quant::PackedTernary w =
            c.saturated ? quant::pack_ternary(std::vector<int8_t>(size_t(c.out * c.k), 1).data(),
                                              c.out, c.k, 0.5f)
                        : sparse_random_ternary(c.out, c.k, c.nonzero, 0.5f, 7);
        const Int16Runs runs(c.images, c.k, c.n, 8, c.saturated);
        std::vector<float> bias(size_t(c.out));
        for (int64_t o = 0; o < c.out; ++o) bias[size_t(o)] = 0.1f * float(o) - 0.2f;
        const float scale = 0.5f * 0.0123f;
        CHECK(int16_product(runs, w, scale, bias.data()) ==
              exact_product(runs, w, scale, bias.data()));
        CHECK(int16_product(runs, w, scale, nullptr) == exact_product(runs, w, scale, nullptr));
      }
    });
  }

  TEST_CASE("sparse_ternary_taps_int16 gives the same bits on 1 and 2 threads") {
    const int saved = kernels::num_threads();
    const quant::PackedTernary w = sparse_random_ternary(16, 400, 0.3, 0.5f, 9);
    const Int16Runs runs(4, 400, 1000, 10);  // large enough to split over the threads
    kernels::set_num_threads(1);
    const std::vector<float> one = int16_product(runs, w, 0.01f, nullptr);
    kernels::set_num_threads(2);
    const std::vector<float> two = int16_product(runs, w, 0.01f, nullptr);
    kernels::set_num_threads(saved);
    CHECK(one == two);
    CHECK(one == exact_product(runs, w, 0.01f, nullptr));
  }
}

TEST_SUITE("quant") {
  TEST_CASE("ternary_conv2d with 8-bit activations stays within its rounding bound") {
    struct Geometry {
      int64_t kernel, stride, padding;
    };
    for (const Geometry g : {Geometry{3, 1, 1}, Geometry{3, 2, 1}, Geometry{1, 1, 0},
                             Geometry{5, 1, 0}}) {  // wide, im2col, pointwise, wide
      CAPTURE(g.kernel);
      CAPTURE(g.stride);
      const int64_t channels = 6, out = 5, taps = channels * g.kernel * g.kernel;
      const quant::PackedTernary w = sparse_random_ternary(out, taps, 0.35, 0.3f, 11);
      const kernels::SparseTernary index = index_of(w);
      Rng rng(12);
      const Tensor x = Tensor::normal({2, channels, 9, 11}, 0.0f, 1.0f, rng);
      const Tensor bias = Tensor::normal({out}, 0.0f, 1.0f, rng);
      float range = 0;
      for (float v : x.to_vector()) range = std::max(range, std::fabs(v));
      const float scale = range / 127;
      const Tensor exact =
          quant::ternary_conv2d(x, w, g.kernel, g.stride, g.padding, bias, &index);
      const Tensor quantised =
          quant::ternary_conv2d(x, w, g.kernel, g.stride, g.padding, bias, &index, scale);
      REQUIRE(quantised.shape() == exact.shape());
      const std::vector<float> e = exact.to_vector(), q = quantised.to_vector();
      const int64_t plane = exact.size(2) * exact.size(3);
      double worst = 0;  // |difference| over its bound, largest
      for (size_t i = 0; i < e.size(); ++i) {
        const int64_t o = int64_t(i) / plane % out;
        const double row_nonzero = double(index.starts[size_t(o) + 1] - index.starts[size_t(o)]);
        const double bound = w.level * scale / 2 * row_nonzero + 1e-5 * (1 + std::abs(e[i]));
        worst = std::max(worst, std::abs(double(q[i]) - e[i]) / bound);
      }
      CHECK(worst <= 1.0);
      CHECK(worst > 0.0);  // the path did quantise
      // Scale 0 is the exact path itself.
      CHECK(quant::ternary_conv2d(x, w, g.kernel, g.stride, g.padding, bias, &index, 0.0f)
                .to_vector() == e);
    }
  }

  TEST_CASE("ternary_conv2d refuses a bad activation scale and 8 bits without the index") {
    const quant::PackedTernary w = sparse_random_ternary(2, 9, 0.5, 0.3f, 13);
    const kernels::SparseTernary index = index_of(w);
    const Tensor x = Tensor::ones({1, 1, 4, 4});
    CHECK_THROWS_WITH_AS(quant::ternary_conv2d(x, w, 3, 1, 1, Tensor(), &index, -1.0f),
                         "ternary_conv2d: activation scale -1.000000 is not a finite scale >= 0",
                         Error);
    CHECK_THROWS_WITH_AS(
        quant::ternary_conv2d(x, w, 3, 1, 1, Tensor(), &index, std::nanf("")),
        doctest::Contains("is not a finite scale >= 0"), Error);
    CHECK_THROWS_WITH_AS(quant::ternary_conv2d(x, w, 3, 1, 1, Tensor(), nullptr, 0.1f),
                         "ternary_conv2d: 8-bit activations need the index of the non-zero codes",
                         Error);
  }

  TEST_CASE("calibrate_activations: each convolution's largest input / 127 where it pays") {
    Conv2dOptions padded;
    padded.padding = 1;
    auto conv1 = std::make_shared<quant::TernaryConv2d>(sparse_random_ternary(4, 9, 0.4, 0.5f, 14),
                                                        1, 3, padded);
    auto conv2 = std::make_shared<quant::TernaryConv2d>(
        sparse_random_ternary(3, 36, 0.4, 0.5f, 15), 4, 3, padded);
    // 1x1 convolutions read their input in place: quantised only with at least 4 non-zero
    // codes per input column on average (kMinCodesPerColumn), so conv3 stays exact, conv4 not.
    auto conv3 = std::make_shared<quant::TernaryConv2d>(sparse_random_ternary(6, 3, 0.3, 0.5f, 18),
                                                        3, 1);
    auto conv4 = std::make_shared<quant::TernaryConv2d>(
        quant::pack_ternary(std::vector<int8_t>(6 * 6, 1).data(), 6, 6, 0.5f), 6, 1);
    nn::Sequential model;
    model.add("conv1", conv1).add("relu", std::make_shared<nn::ReLU>()).add("conv2", conv2);
    model.add("conv3", conv3).add("conv4", conv4);
    Rng rng(16);
    const std::vector<Tensor> inputs = {Tensor::normal({2, 1, 6, 6}, 0.0f, 1.0f, rng),
                                        Tensor::normal({1, 1, 6, 6}, 0.0f, 2.0f, rng)};
    const Tensor exact = model(inputs[0]);
    float range1 = 0, range2 = 0;
    for (const Tensor& x : inputs) {
      for (float v : x.to_vector()) range1 = std::max(range1, std::fabs(v));
      for (float v : relu(conv1->forward(x)).to_vector()) range2 = std::max(range2, std::fabs(v));
    }
    CHECK(quant::calibrate_activations(model, inputs) == 3);
    CHECK(conv1->activation_scale() == range1 / 127);
    CHECK(conv2->activation_scale() == range2 / 127);
    CHECK(conv3->activation_scale() == 0.0f);
    CHECK(conv4->activation_scale() > 0.0f);
    CHECK(model.is_training());  // the mode is restored
    const Tensor quantised = model(inputs[0]);
    CHECK(quantised.to_vector() != exact.to_vector());
    quant::clear_activation_scales(model);
    CHECK(conv1->activation_scale() == 0.0f);
    CHECK(model(inputs[0]).to_vector() == exact.to_vector());
    CHECK_THROWS_WITH_AS(conv1->set_activation_scale(-0.5f),
                         "TernaryConv2d: activation scale -0.500000 is not a finite scale >= 0",
                         Error);
  }
}
