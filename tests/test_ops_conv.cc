// conv2d: a hand-computed case, a naive direct convolution on odd shapes, gradient checks,
// thread-count independence, shape errors; im2col/col2im against scalar loops.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/error.h"
#include "autograd/kernels/conv.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/conv.h"
#include "tests/gradcheck.h"
#include "tests/window_cases.h"

using namespace trit;
using trit::testing::gradcheck;
using trit::testing::kLinearOpStep;
using trit::testing::random_input;

namespace {

struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2dOptions options;
  bool bias;
};

const ConvCase kCases[] = {
    {"stride 2, padding 1, non-square", {2, 3, 7, 5}, {4, 3, 3, 3}, {2, 1, 1}, true},
    {"padding 2, 3x2 kernel", {1, 2, 6, 9}, {3, 2, 3, 2}, {1, 2, 1}, true},
    {"groups 2", {2, 4, 5, 6}, {6, 2, 3, 3}, {1, 1, 2}, true},
    {"1x1 on 4x5 planes (copied)", {2, 6, 4, 5}, {5, 6, 1, 1}, {1, 0, 1}, true},
    {"1x1 on 4x8 planes (in place)", {3, 5, 4, 8}, {7, 5, 1, 1}, {1, 0, 1}, true},
    {"1x1 on 4x4 planes, groups 2, no bias", {2, 4, 4, 4}, {4, 2, 1, 1}, {1, 0, 2}, false},
    {"1x1 on 16x32 planes (in place)", {1, 3, 16, 32}, {4, 3, 1, 1}, {1, 0, 1}, true},
    {"1x1 stride 2", {1, 3, 7, 7}, {2, 3, 1, 1}, {2, 0, 1}, true},
    {"kernel as large as the image", {3, 2, 5, 5}, {3, 2, 5, 5}, {1, 0, 1}, true},
    {"stride 3, padding 1", {1, 1, 8, 8}, {2, 1, 3, 3}, {3, 1, 1}, true},
    {"2x3 kernel, padding 1, 7 channels out", {1, 2, 9, 13}, {7, 2, 2, 3}, {1, 1, 1}, true},
    {"5x5, padding 2, one channel in", {3, 1, 9, 6}, {4, 1, 5, 5}, {1, 2, 1}, false},
    {"5x5 on 12x12 (8x8 out: shifted rows, dy in place)", {2, 3, 12, 12}, {5, 3, 5, 5}, {}, true},
    {"3x3, padding 1, groups 2 on 8x8 (shifted)", {2, 4, 8, 8}, {6, 2, 3, 3}, {1, 1, 2}, true},
};

// Images large enough for the wide-rows layout, and LeNet's shapes (shifted rows).
const ConvCase kLargeCases[] = {
    {"3x3, padding 1, 8 channels on 24x40 (wide rows)",
     {2, 8, 24, 40},
     {5, 8, 3, 3},
     {1, 1, 1},
     true},
    {"LeNet conv1", {3, 1, 28, 28}, {20, 1, 5, 5}, {}, true},
    {"LeNet conv2", {3, 20, 12, 12}, {50, 20, 5, 5}, {}, true},
};

// The definition, one output at a time, accumulated in double.
std::vector<float> naive_conv(const Tensor& x, const Tensor& w, const Tensor& b,
                              const Conv2dOptions& o) {
  const int64_t n_images = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t cout = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
  const int64_t oh = (h + 2 * o.padding - kh) / o.stride + 1;
  const int64_t ow = (wd + 2 * o.padding - kw) / o.stride + 1;
  const int64_t out_per_group = cout / o.groups;
  std::vector<float> out;
  for (int64_t n = 0; n < n_images; ++n)
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = b.defined() ? b.data()[co] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * o.stride - o.padding + ky;
                const int64_t ix = ox * o.stride - o.padding + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const int64_t c = co / out_per_group * cg + ci;
                acc += double(x.data()[((n * cin + c) * h + iy) * wd + ix]) *
                       w.data()[((co * cg + ci) * kh + ky) * kw + kx];
              }
          out.push_back(float(acc));
        }
  return out;
}

Tensor conv_case_output(const ConvCase& c, const std::vector<Tensor>& in) {
  return conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.options);
}

std::vector<Tensor> conv_case_inputs(const ConvCase& c) {
  return {random_input(c.x, 1), random_input(c.w, 2, 0.5f), random_input({c.w[0]}, 3)};
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("conv2d of a 3x3 image with a 2x2 kernel matches hand computation") {
    const Tensor x = Tensor::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    const Tensor w = Tensor::from({1, 1, 2, 2}, {1, 2, 3, 4});
    const Tensor b = Tensor::from({1}, {0.5f});
    const Tensor y = conv2d(x, w, b);
    CHECK(y.shape() == Shape{1, 1, 2, 2});
    // 1*1 + 2*2 + 3*4 + 4*5 = 37, then 47, 67, 77; plus the bias.
    CHECK(y.to_vector() == std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f});
    CHECK(conv2d(x, w, Tensor(), {1, 1, 1}).data()[0] == 4 * 1.0f);  // corner: 4 * x[0][0]
  }

  TEST_CASE("conv2d matches a naive direct convolution on odd shapes") {
    for (const ConvCase& c : kCases) {
      CAPTURE(std::string(c.name));
      const std::vector<Tensor> in = conv_case_inputs(c);
      const Tensor y = conv_case_output(c, in);
      const std::vector<float> want =
          naive_conv(in[0], in[1], c.bias ? in[2] : Tensor(), c.options);
      REQUIRE(y.numel() == int64_t(want.size()));
      for (size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        REQUIRE(y.data()[i] == doctest::Approx(want[i]).epsilon(1e-5));
      }
    }
  }

  TEST_CASE("conv2d gradients of larger images satisfy the adjoint identities") {
    // conv2d is linear in x and in w: with L = sum(r * conv(x, w)), sum(dx * v) equals
    // sum(r * conv(v, w)) and sum(dw * u) equals sum(r * conv(x, u)) for any v, u (naive).
    const auto dot = [](const float* a, const std::vector<float>& b) {
      double total = 0.0;
      for (size_t i = 0; i < b.size(); ++i) total += double(a[i]) * b[i];
      return total;
    };
    for (const ConvCase& c : kLargeCases) {
      CAPTURE(std::string(c.name));
      const std::vector<Tensor> in = conv_case_inputs(c);
      const Tensor x = in[0].detach().set_requires_grad(), w = in[1].detach().set_requires_grad();
      const Tensor y = conv2d(x, w, in[2], c.options);
      const std::vector<float> want = naive_conv(x, w, in[2], c.options);
      for (size_t i = 0; i < want.size(); ++i) REQUIRE(y.data()[i] == doctest::Approx(want[i]));
      const Tensor r = random_input(y.shape(), 4), v = random_input(c.x, 5),
                   u = random_input(c.w, 6);
      backward(y, r);
      const std::vector<float> conv_v = naive_conv(v, w, Tensor(), c.options);
      const std::vector<float> conv_u = naive_conv(x, u, Tensor(), c.options);
      CHECK(dot(x.grad().data(), v.to_vector()) == doctest::Approx(dot(r.data(), conv_v)));
      CHECK(dot(w.grad().data(), u.to_vector()) == doctest::Approx(dot(r.data(), conv_u)));
    }
  }

  TEST_CASE("conv2d backward writes a new input gradient and adds into an existing one") {
    // Every dx route (gemm + col2im, wide rows, pointwise in place) sets a gradient it
    // creates and adds into one that exists: a second backward doubles it.
    for (const ConvCase& c : kCases) {
      CAPTURE(std::string(c.name));
      const std::vector<Tensor> in = conv_case_inputs(c);
      const Tensor dy = random_input(conv_case_output(c, in).shape(), 9);
      clear_tape();
      backward(conv_case_output(c, in), dy);
      const std::vector<float> once = in[0].grad().to_vector();
      backward(conv_case_output(c, in), dy);
      const std::vector<float> twice = in[0].grad().to_vector();
      for (size_t i = 0; i < once.size(); ++i) CHECK(twice[i] == doctest::Approx(2 * once[i]));
    }
  }

  TEST_CASE("conv2d backward matches finite differences for x, weight and bias") {
    for (const ConvCase& c : kCases) {
      CAPTURE(std::string(c.name));
      std::vector<Tensor> in = conv_case_inputs(c);
      if (!c.bias) in.pop_back();
      gradcheck([&c](const std::vector<Tensor>& v) { return conv_case_output(c, v); }, in,
                kLinearOpStep);
    }
  }

  TEST_CASE("conv2d gradients are bit-identical for any thread count") {
    // A batch split into chunks of images, and one image large enough to split its tiles.
    const std::vector<std::pair<Shape, Shape>> cases = {{{21, 3, 12, 12}, {8, 3, 5, 5}},
                                                        {{1, 16, 32, 32}, {16, 16, 3, 3}}};
    const int saved = kernels::num_threads();
    for (const auto& shapes : cases) {
      CAPTURE(to_string(shapes.first));
      const Tensor x = random_input(shapes.first, 4);
      const Tensor w = random_input(shapes.second, 5);
      const Tensor b = random_input({shapes.second[0]}, 6);
      const Conv2dOptions options{1, shapes.second[2] / 2, 1};
      const Tensor dy = random_input(conv2d(x, w, b, options).shape(), 7);
      clear_tape();
      std::vector<std::vector<float>> one_thread;
      for (int threads : {1, 2, 3}) {
        kernels::set_num_threads(threads);
        for (Tensor t : {x, w, b}) t.zero_grad();
        const Tensor y = conv2d(x, w, b, options);
        backward(y, dy);
        const std::vector<std::vector<float>> got = {y.to_vector(), x.grad().to_vector(),
                                                     w.grad().to_vector(), b.grad().to_vector()};
        CAPTURE(threads);
        if (threads == 1) one_thread = got;
        CHECK(got == one_thread);
      }
    }
    kernels::set_num_threads(saved);
  }

  TEST_CASE("conv2d shape errors name the op and the shapes") {
    const Tensor x = Tensor::zeros({2, 3, 8, 8});
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor()),
                         "conv2d: input [2,3,8,8] has 3 channels, weight [4,2,3,3] expects 2 x "
                         "groups 1",
                         Error);
    CHECK_THROWS_WITH_AS(conv2d(Tensor::zeros({3, 8, 8}), Tensor::zeros({4, 3, 3, 3}), Tensor()),
                         "conv2d: input [3,8,8] must be 4-d [N,C,H,W]", Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3}), Tensor()),
                         "conv2d: weight [4,3,3] must be 4-d [Cout,Cin/groups,KH,KW]", Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 1, 3, 3}), Tensor(), {1, 0, 3}),
                         "conv2d: weight [4,1,3,3] has 4 output channels, not divisible by "
                         "groups 3",
                         Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3})),
                         "conv2d: bias [3] must be [4] for weight [4,3,3,3]", Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 9, 9}), Tensor()),
                         "conv2d: input [2,3,8,8] padded by 0 is smaller than the 9x9 kernel",
                         Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), {0, 0, 1}),
                         "conv2d: stride 0 must be >= 1", Error);
    CHECK_THROWS_WITH_AS(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), {1, -1, 1}),
                         "conv2d: padding -1 must be >= 0", Error);
  }
}

namespace {

// Scalar im2col (or, with add, col2im) by the definition in kernels/conv.h.
void scalar_im2col(std::vector<float>& image, int64_t channels, const kernels::Window2d& w,
                   std::vector<float>& columns, bool col2im) {
  int64_t row = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t ky = 0; ky < w.kernel_h; ++ky)
      for (int64_t kx = 0; kx < w.kernel_w; ++kx, ++row)
        for (int64_t oy = 0; oy < w.out_height(); ++oy)
          for (int64_t ox = 0; ox < w.out_width(); ++ox) {
            const int64_t iy = oy * w.stride - w.padding + ky;
            const int64_t ix = ox * w.stride - w.padding + kx;
            const bool inside = iy >= 0 && iy < w.height && ix >= 0 && ix < w.width;
            float& column = columns[(row * w.out_height() + oy) * w.out_width() + ox];
            float* pixel = inside ? &image[(c * w.height + iy) * w.width + ix] : nullptr;
            if (!col2im) column = inside ? *pixel : 0.0f;
            if (col2im && inside) *pixel += column;
          }
}

std::vector<float> random_values(int64_t n, uint64_t seed) {
  const Tensor t = random_input({n}, seed);
  return t.to_vector();
}

}  // namespace

TEST_SUITE("kernels") {
  TEST_CASE("wide_conv and wide_conv_weight_grad match scalar loops on every target") {
    trit::testing::for_each_target([] {
      for (int64_t width : {1, 6, 15, 16, 17, 40})
        for (int64_t kernel : {1, 2, 3})
          for (int64_t out_channels : {1, 5, 7, 13})
            for (bool shifted : {false, true}) {
              const int64_t row = shifted ? width : width + kernel - 1;
              const kernels::WideConv g{2, 4, row, kernel, kernel, shifted};
              CAPTURE(width);
              CAPTURE(kernel);
              CAPTURE(out_channels);
              CAPTURE(shifted);
              const int64_t taps = g.taps(), ld = g.padded_positions() + 3;
              const std::vector<float> input = random_values(g.input_size(), 9);
              const std::vector<float> weight = random_values(out_channels * taps, 10);
              // Tap k at position q of the image at `image`, by the definition.
              const auto tap = [&](const float* image, int64_t k, int64_t q) {
                const int64_t c = k / (kernel * kernel), ky = k / kernel % kernel, kx = k % kernel;
                if (shifted) return double(image[(c * kernel + kx) * g.plane() + q + ky * g.width]);
                return double(image[c * g.plane() + q + ky * g.width + kx]);
              };
              std::vector<float> out(size_t(out_channels * ld), -7.0f);
              const std::vector<float> bias = random_values(out_channels, 13);
              kernels::wide_conv(input.data(), g, weight.data(), bias.data(), out_channels,
                                 out.data(), ld);
              for (int64_t co = 0; co < out_channels; ++co)
                for (int64_t q = 0; q < g.padded_positions(); ++q) {
                  double want = bias[size_t(co)];
                  for (int64_t k = 0; k < taps; ++k)
                    want += weight[size_t(co * taps + k)] * tap(input.data(), k, q);
                  REQUIRE(out[size_t(co * ld + q)] == doctest::Approx(want).epsilon(1e-5));
                }
              REQUIRE(out[size_t(ld - 1)] == -7.0f);  // nothing written past padded_positions

              // Two images: the second one's input and dy follow the first at fixed strides.
              const std::vector<float> dy = random_values(2 * out_channels * ld, 11);
              std::vector<float> inputs = input;
              inputs.insert(inputs.end(), input.rbegin(), input.rend());
              std::vector<float> dw = random_values(out_channels * taps, 12), want_dw = dw;
              const kernels::WideImages images{
                  inputs.data(), g.input_size(), dy.data(), out_channels * ld, ld, 2};
              kernels::wide_conv_weight_grad(images, g, out_channels, dw.data());
              for (int64_t co = 0; co < out_channels; ++co)
                for (int64_t k = 0; k < taps; ++k) {
                  double want = want_dw[size_t(co * taps + k)];
                  for (int64_t i = 0; i < 2; ++i)
                    for (int64_t q = 0; q < g.padded_positions(); ++q)
                      want += dy[size_t((i * out_channels + co) * ld + q)] *
                              tap(inputs.data() + i * g.input_size(), k, q);
                  REQUIRE(dw[size_t(co * taps + k)] == doctest::Approx(want).epsilon(1e-4));
                }
            }
    });
  }

  TEST_CASE("shifted_input matches its definition on every target") {
    trit::testing::for_each_target([] {
      for (int64_t padding : {0, 1, 2})
        for (int64_t height : {1, 5})
          for (int64_t width : {3, 8, 9, 21, 40})
            for (int64_t kernel : {1, 3, 5}) {
              if (width + 2 * padding < kernel) continue;
              const int64_t channels = 2, out_w = width + 2 * padding - kernel + 1;
              const kernels::WideConv g{channels, height + 2 * padding, out_w, 1, kernel, true};
              CAPTURE(padding);
              CAPTURE(height);
              CAPTURE(width);
              CAPTURE(kernel);
              const std::vector<float> x = random_values(channels * height * width, 14);
              std::vector<float> input(size_t(g.input_size()), -1.0f);
              kernels::shifted_input(x.data(), g, padding, input.data());
              for (int64_t i = 0; i < g.input_size(); ++i) {
                const int64_t copy = i / g.plane(), iy = i % g.plane() / out_w, ox = i % out_w;
                const int64_t c = copy / kernel, y = iy - padding,
                              col = ox + copy % kernel - padding;
                const bool inside = c < channels && y >= 0 && y < height && col >= 0 && col < width;
                CAPTURE(i);
                REQUIRE(input[size_t(i)] ==
                        (inside ? x[size_t((c * height + y) * width + col)] : 0.0f));
              }
            }
    });
  }

  TEST_CASE("im2col and col2im match scalar loops on every target") {
    trit::testing::for_each_target([] {
      trit::testing::for_each_window(false, [](const kernels::Window2d& w) {
        const int64_t channels = w.width == 1000 ? 1 : 2;
        std::vector<float> image = random_values(channels * w.plane(), 7);
        const size_t column_size = size_t(channels * w.kernel_h * w.kernel_w * w.out_plane());
        std::vector<float> columns(column_size, -1.0f), want(column_size, -2.0f);
        kernels::im2col(image.data(), channels, w, columns.data());
        scalar_im2col(image, channels, w, want, false);
        REQUIRE(columns == want);

        std::vector<float> added = image, want_added = image;
        columns = random_values(int64_t(column_size), 8);
        kernels::col2im(columns.data(), channels, w, added.data());
        scalar_im2col(want_added, channels, w, columns, true);
        REQUIRE(added == want_added);

        // The same matrix with its rows ld = out_plane + 3 floats apart (NaN in the gaps).
        const int64_t plane = w.out_plane(), ld = plane + 3, rows = int64_t(column_size) / plane;
        std::vector<float> spaced(size_t(rows * ld), std::nanf(""));
        for (int64_t r = 0; r < rows; ++r)
          std::copy_n(columns.begin() + r * plane, plane, spaced.begin() + r * ld);
        std::vector<float> added_spaced = image;
        kernels::col2im(spaced.data(), channels, w, added_spaced.data(), ld);
        REQUIRE(added_spaced == want_added);
      });
      kernels::im2col(nullptr, 0, kernels::Window2d{}, nullptr);  // no channels: no access
    });
  }
}
