#include "autograd/fused/norm_relu_conv.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/error.h"
#include "autograd/graph.h"
#include "autograd/kernels/batch_norm.h"
#include "autograd/kernels/elementwise.h"
#include "autograd/kernels/norm_relu.h"
#include "autograd/kernels/parallel.h"
#include "autograd/ops/conv_image.h"
#include "autograd/ops/window.h"

namespace trit {
namespace {

using conv_image::ConvPlan;
using kernels::ChannelPair;

// Floats of normalised input per group of images: the group's relu(batch_norm(x)) is made
// and convolved (or differentiated) while it is still in the core's cache.
constexpr int64_t kGroupFloats = int64_t{1} << 17;  // 512 KiB
// Image chunks whose weight gradients and batch-norm sums are reduced separately, then in
// chunk order: a function of the shapes alone, so results never depend on the thread count.
constexpr int64_t kMaxChunks = 16;
// Multiply-adds below which a chunk of images is not worth a thread (as conv2d).
constexpr int64_t kGrain = int64_t{1} << 18;

void check_arguments(const char* op, const Tensor& x, int64_t channels, const BatchNormState& norm,
                     const Tensor& weight, const Conv2dOptions& options) {
  check_nchw(op, x.shape());
  const std::string input = "input " + to_string(x.shape());
  check(channels > 0 && channels <= x.size(1), op,
        std::to_string(channels) + " channels of " + input);
  const Shape expected = {channels};
  for (const Tensor* t : {&norm.weight, &norm.bias, &norm.running_mean, &norm.running_var})
    check(t->shape() == expected, op,
          "batch-norm tensor " + to_string(t->shape()) + " for " + std::to_string(channels) +
              " channels of " + input);
  check(weight.dim() == 4 && options.groups >= 1 && weight.size(0) % options.groups == 0 &&
            weight.size(1) * options.groups == channels,
        op,
        "weight " + to_string(weight.shape()) + " with groups " + std::to_string(options.groups) +
            " for " + std::to_string(channels) + " channels of " + input);
  const int64_t per_channel = x.size(0) * x.size(2) * x.size(3);
  check(!norm.training || per_channel > 1, op,
        input + ": training needs more than one value per channel");
  check(norm.momentum >= 0.0f && norm.momentum <= 1.0f && norm.eps > 0.0f, op,
        "momentum must be in [0, 1] and eps positive");
}

// body(ch) for every channel, on several threads only when there is enough work.
template <class Body>
void for_channels(int64_t channels, const ChannelPair& c, const Body& body) {
  constexpr int64_t kElementGrain = 1 << 15;  // elements worth a thread
  kernels::parallel_for_work(channels, channels * int64_t(c.rows * c.length), kElementGrain, body);
}

// Channel c of x's prefix over the whole batch; z, the dense [N, channels, H, W] scratch.
ChannelPair channel_pair(const Tensor& x, int64_t channels) {
  const size_t plane = size_t(x.size(2) * x.size(3));
  return {size_t(x.size(0)), plane, size_t(x.size(1)) * plane, size_t(channels) * plane};
}

// What the forward pass normalised with, per channel.
struct Statistics {
  std::vector<float> mean, inv_std;
  double count;  // values per channel, over every process when synchronised
  bool training;
};

// Each channel's mean and sum of squared deviations, appended to `known` for the channels
// [known.mean.size(), channels) it lacks; over every process's batch when `sync` is given.
void complete(ChannelStatistics& known, const Tensor& x, int64_t channels,
              const CrossProcessSum& sync) {
  const int64_t first = std::min<int64_t>(int64_t(known.mean.size()), channels);
  if (first == channels) return;
  known.mean.resize(size_t(channels));
  known.squares.resize(size_t(channels));
  const ChannelPair c = channel_pair(x, channels);
  const kernels::ChannelLayout layout{c.rows, c.length, c.x_stride};
  std::vector<double> sums(size_t(channels - first) + 1);  // Σ x per new channel, then M
  for_channels(channels - first, c, [&](int64_t i) {
    sums[i] = kernels::channel_sum(x.data() + (first + i) * c.length, layout);
  });
  sums.back() = double(c.rows * c.length);
  if (sync) sync(sums);
  known.count = sums.back();
  std::vector<double> squares(size_t(channels - first));
  for_channels(channels - first, c, [&](int64_t i) {
    const int64_t ch = first + i;
    const float* xc = x.data() + ch * c.length;
    const float mean = float(sums[i] / known.count);
    known.mean[ch] = mean;
    squares[i] = kernels::channel_centered_dot(xc, mean, xc, mean, layout);
  });
  if (sync) sync(squares);
  std::copy(squares.begin(), squares.end(), known.squares.begin() + first);
}

// The batch statistics (updating the running ones) in training, the running ones otherwise.
Statistics statistics(const Tensor& x, int64_t channels, const BatchNormState& norm,
                      ChannelStatistics* shared) {
  Statistics s{std::vector<float>(channels), std::vector<float>(channels), 0.0, norm.training};
  Tensor running_mean = norm.running_mean, running_var = norm.running_var;
  float* rm = running_mean.data();
  float* rv = running_var.data();
  ChannelStatistics local;
  ChannelStatistics& known = shared != nullptr ? *shared : local;
  if (norm.training) complete(known, x, channels, norm.sync);
  const double count = known.count;
  s.count = count;
  for (int64_t ch = 0; ch < channels; ++ch) {
    float var;
    if (norm.training) {
      s.mean[ch] = known.mean[ch];
      var = float(known.squares[ch] / count);
      rm[ch] = (1.0f - norm.momentum) * rm[ch] + norm.momentum * s.mean[ch];
      rv[ch] = (1.0f - norm.momentum) * rv[ch] +
               norm.momentum * float(known.squares[ch] / (count - 1.0));
    } else {
      s.mean[ch] = rm[ch];
      var = rv[ch];
    }
    s.inv_std[ch] = 1.0f / std::sqrt(var + norm.eps);
  }
  return s;
}

// Where things are: x's images, the normalised input of a group of images, the conv.
struct Layout {
  int64_t batch, x_channels, channels, plane;
  kernels::Window2d window;
  int64_t out_channels, groups;
  NormReluInput input;

  int64_t image_floats() const { return channels * plane; }  // of the normalised input
  int64_t out_image() const { return out_channels * window.out_plane(); }
  int64_t group_images() const {
    return std::clamp<int64_t>(kGroupFloats / image_floats(), 1, batch);
  }
  ConvPlan plan(int64_t images) const {
    return ConvPlan{images, channels, out_channels, groups, window};
  }
  int64_t multiply_adds() const { return plan(batch).multiply_adds(); }
};

Layout layout_of(const char* op, const Tensor& x, int64_t channels, const Tensor& weight,
                 const Conv2dOptions& options, NormReluInput input) {
  const kernels::Window2d window =
      make_window(op, {x.size(0), channels, x.size(2), x.size(3)}, weight.size(2), weight.size(3),
                  options.stride, options.padding);
  return {x.size(0), x.size(1),      channels,       x.size(2) * x.size(3),
          window,    weight.size(0), options.groups, input};
}

// The affine map of every channel: u = (x - mean) * weight * inv_std + bias.
std::vector<kernels::NormAffine> affines(const Statistics& s, const Tensor& norm_weight,
                                         const Tensor& norm_bias) {
  std::vector<kernels::NormAffine> out(s.mean.size());
  for (size_t ch = 0; ch < out.size(); ++ch)
    out[ch] = {s.mean[ch], norm_weight.data()[ch] * s.inv_std[ch], norm_bias.data()[ch]};
  return out;
}

// z = relu(batch_norm(x)) of images [first, first + count) as dense planes.
void normalize_images(const Layout& l, const float* x, int64_t first, int64_t count,
                      const std::vector<kernels::NormAffine>& affine, float* z) {
  const ChannelPair plane{1, size_t(l.plane), 0, 0};
  for (int64_t i = 0; i < count; ++i)
    for (int64_t ch = 0; ch < l.channels; ++ch)
      kernels::norm_relu(x + ((first + i) * l.x_channels + ch) * l.plane, plane, affine[ch],
                         z + (i * l.channels + ch) * l.plane);
}

// The convolution's input from h = relu(batch_norm(x)) of `count` images: h itself, or h^2
// written to `squared` (l.input).
const float* conv_input(const Layout& l, const float* h, int64_t count, float* squared) {
  if (l.input == NormReluInput::kPlain) return h;
  kernels::binary(kernels::BinaryOp::kMul, h, 1, h, 1, squared, size_t(count * l.image_floats()));
  return squared;
}

// Forward: per group of images, the normalised input (in cache) and its convolution.
void forward_groups(const Layout& l, const Tensor& x, const Tensor& weight,
                    const std::vector<kernels::NormAffine>& affine, float* out) {
  const int64_t group = l.group_images();
  const ConvPlan single = l.plan(1);
  const int64_t chunks =
      kernels::worthwhile_chunks(l.batch, l.multiply_adds(), kGrain, kernels::num_threads());
  kernels::parallel_for_chunks(l.batch, chunks, [&](int64_t, int64_t begin, int64_t end) {
    Buffer z(size_t(group * l.image_floats()));
    Buffer scratch(size_t(conv_image::forward_scratch(single)));
    for (int64_t n = begin; n < end; n += group) {
      const int64_t count = std::min(group, end - n);
      normalize_images(l, x.data(), n, count, affine, z.data());
      const float* in = conv_input(l, z.data(), count, z.data());  // squared in place
      for (int64_t i = 0; i < count; ++i) {
        const conv_image::ForwardArrays arrays{in + i * l.image_floats(), weight.data(), nullptr,
                                               out + (n + i) * l.out_image()};
        conv_image::forward_image(single, arrays, 0, scratch.data());
      }
    }
  });
}

// What the backward pass accumulates per chunk of images.
struct ChunkGrads {
  Buffer dw;                                // the conv weight's gradient, or empty
  std::vector<kernels::NormGradSums> sums;  // per channel, or empty
};

// Backward, first pass, per group of images: the normalised input again (in cache), the
// conv's weight gradient and input gradient dz (times 2 h for a squared input), then per
// channel dx += a g (g = dz through the ReLU, a = weight * inv_std) and the sums of g and
// g (x - mean).
void backward_groups(const Layout& l, const Tensor& x, const Tensor& weight, const Tensor& dy,
                     const std::vector<kernels::NormAffine>& affine, const std::vector<float>& a,
                     float* dx, bool want_dw, bool want_dz, std::vector<ChunkGrads>& grads) {
  const int64_t group = l.group_images();
  const ConvPlan plan = l.plan(group);
  std::vector<float> flipped;
  if (want_dz && plan.algorithm() != conv_image::Algorithm::kIm2col)
    flipped = conv_image::flip_weight(plan, weight.data());
  const int64_t chunks = int64_t(grads.size());
  kernels::parallel_for_chunks(l.batch, chunks, [&](int64_t c, int64_t begin, int64_t end) {
    ChunkGrads& chunk = grads[size_t(c)];
    if (want_dw) chunk.dw.assign(size_t(weight.numel()), 0.0f);
    if (want_dz) chunk.sums.assign(size_t(l.channels), {});
    const bool squared = l.input == NormReluInput::kSquared;
    Buffer z(size_t(group * l.image_floats())), dz(want_dz ? z.size() : 0);
    Buffer z_squared(squared ? z.size() : 0);
    Buffer scratch(size_t(conv_image::backward_scratch(plan)));
    const ChannelPair plane{1, size_t(l.plane), 0, 0};
    for (int64_t n = begin; n < end; n += group) {
      const int64_t count = std::min(group, end - n);
      const size_t floats = size_t(count * l.image_floats());
      normalize_images(l, x.data(), n, count, affine, z.data());
      if (want_dz) std::fill(dz.begin(), dz.begin() + floats, 0.0f);
      const conv_image::BackwardArrays arrays{conv_input(l, z.data(), count, z_squared.data()),
                                              weight.data(),
                                              flipped.data(),
                                              dy.data() + n * l.out_image(),
                                              want_dz ? dz.data() : nullptr,
                                              want_dw ? chunk.dw.data() : nullptr};
      conv_image::backward_images(l.plan(count), arrays, 0, count, scratch.data());
      if (!want_dz) continue;
      if (squared) {  // d(h^2) = 2 h dh
        kernels::binary(kernels::BinaryOp::kMul, z.data(), 1, dz.data(), 1, dz.data(), floats);
        kernels::scale(2.0f, dz.data(), floats);
      }
      for (int64_t i = 0; i < count; ++i)
        for (int64_t ch = 0; ch < l.channels; ++ch) {
          const int64_t at = ((n + i) * l.x_channels + ch) * l.plane;
          const kernels::NormGradSums s =
              kernels::norm_relu_grad(dz.data() + (i * l.channels + ch) * l.plane, x.data() + at,
                                      plane, affine[ch], a[ch], dx != nullptr ? dx + at : nullptr);
          chunk.sums[ch].sum += s.sum;
          chunk.sums[ch].centered += s.centered;
        }
    }
  });
}

// The gradients of a norm_relu_conv2d from its output gradient dy (see the header).
struct Saved {
  Tensor x, norm_weight, norm_bias, weight;
  Layout l;  // the sizes forward worked with
  Statistics stats;
  std::shared_ptr<ChannelStatistics> shared;  // owed the statistics' gradient terms, or null
  CrossProcessSum sync;                        // synchronised BatchNorm, or empty
};

void norm_relu_conv_backward(const Saved& s, const Tensor& dy) {
  const Layout& l = s.l;
  const bool want_dw = s.weight.requires_grad();
  const bool want_dz =
      s.x.requires_grad() || s.norm_weight.requires_grad() || s.norm_bias.requires_grad();
  float* dx = s.x.requires_grad() ? grad_buffer(s.x) : nullptr;
  const std::vector<kernels::NormAffine> affine = affines(s.stats, s.norm_weight, s.norm_bias);
  std::vector<float> a(size_t(l.channels));
  for (int64_t ch = 0; ch < l.channels; ++ch)
    a[ch] = s.norm_weight.data()[ch] * s.stats.inv_std[ch];
  std::vector<ChunkGrads> grads(
      size_t(kernels::worthwhile_chunks(l.batch, l.multiply_adds(), kGrain, kMaxChunks)));
  backward_groups(l, s.x, s.weight, dy, affine, a, dx, want_dw, want_dz, grads);

  if (want_dw) {
    float* dw = grad_buffer(s.weight);
    for (const ChunkGrads& chunk : grads)  // chunk order: thread-count independent
      kernels::axpy(1.0f, chunk.dw.data(), dw, chunk.dw.size());
  }
  if (!want_dz) return;
  std::vector<kernels::NormGradSums> sums(size_t(l.channels));
  for (const ChunkGrads& chunk : grads)
    for (int64_t ch = 0; ch < l.channels; ++ch) {
      sums[ch].sum += chunk.sums[ch].sum;
      sums[ch].centered += chunk.sums[ch].centered;
    }
  // With xhat = (x - mean) inv_std and M values per channel, as batch_norm's backward:
  //   d bias = sum g, d weight = sum g xhat, and in training
  //   d x = a g - a (sum g) / M - a inv_std^2 (x - mean) (sum g (x - mean)) / M,
  // whose first term the pass above added; in evaluation d x = a g.
  float* dnw = s.norm_weight.requires_grad() ? grad_buffer(s.norm_weight) : nullptr;
  float* dnb = s.norm_bias.requires_grad() ? grad_buffer(s.norm_bias) : nullptr;
  for (int64_t ch = 0; ch < l.channels; ++ch) {
    if (dnb) dnb[ch] += float(sums[ch].sum);
    if (dnw) dnw[ch] += float(sums[ch].centered * s.stats.inv_std[ch]);
  }
  if (!s.stats.training) return;
  if (s.sync) {  // the statistics' terms use the sums over every process's batch
    std::vector<double> both(2 * size_t(l.channels));
    for (int64_t ch = 0; ch < l.channels; ++ch) {
      both[2 * ch] = sums[ch].sum;
      both[2 * ch + 1] = sums[ch].centered;
    }
    s.sync(both);
    for (int64_t ch = 0; ch < l.channels; ++ch) sums[ch] = {both[2 * ch], both[2 * ch + 1]};
  }
  if (dx == nullptr) return;
  const ChannelPair c = channel_pair(s.x, l.channels);
  const double count = s.stats.count;
  std::vector<double> slope(size_t(l.channels)), offset(size_t(l.channels));
  for (int64_t ch = 0; ch < l.channels; ++ch) {
    const double inv_std = s.stats.inv_std[ch];
    offset[ch] = -double(a[ch]) * sums[ch].sum / count;
    slope[ch] = -double(a[ch]) * inv_std * inv_std * sums[ch].centered / count;
  }
  if (s.shared != nullptr) {  // owed: paid once per channel where the gradient is handed on
    ChannelStatistics& owed = *s.shared;
    owed.owed_slope.resize(std::max(owed.owed_slope.size(), slope.size()), 0.0);
    owed.owed_offset.resize(owed.owed_slope.size(), 0.0);
    for (int64_t ch = 0; ch < l.channels; ++ch) {
      owed.owed_slope[ch] += slope[ch];
      owed.owed_offset[ch] += offset[ch];
    }
    return;
  }
  for_channels(l.channels, c, [&](int64_t ch) {
    kernels::add_centered(s.x.data() + ch * c.length, c, s.stats.mean[ch], float(slope[ch]),
                          float(offset[ch]), dx + ch * c.length);
  });
}

}  // namespace

Tensor norm_relu_conv2d(const Tensor& x, int64_t channels, const BatchNormState& norm,
                        const Tensor& weight, const Conv2dOptions& options,
                        std::shared_ptr<ChannelStatistics> shared, NormReluInput input) {
  const char* op = "norm_relu_conv2d";
  check_arguments(op, x, channels, norm, weight, options);
  const Layout l = layout_of(op, x, channels, weight, options, input);
  Statistics stats = statistics(x, channels, norm, shared.get());
  Tensor out =
      Tensor::empty({l.batch, l.out_channels, l.window.out_height(), l.window.out_width()});
  forward_groups(l, x, weight, affines(stats, norm.weight, norm.bias), out.data());
  if (needs_grad({x, norm.weight, norm.bias, weight})) {
    Saved saved{x,
                norm.weight,
                norm.bias,
                weight,
                l,
                std::move(stats),
                norm.training ? shared : nullptr,
                norm.sync};
    record(op, {x, norm.weight, norm.bias, weight}, out,
           [saved = std::move(saved)](const Tensor& g) { norm_relu_conv_backward(saved, g); });
  }
  return out;
}

}  // namespace trit
