// Highway implementation of reparam.h (pattern: hwy/examples/skeleton.cc, 1.0.3).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quant/vnq/kernels/reparam.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
// Highway needs this order; the comments stop clang-format's include regrouping.
#include <hwy/highway.h>
// Contrib headers come after highway.h.
#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <vector>

#include "autograd/kernels/exp-inl.h"     // ExpFlushed
#include "autograd/kernels/loops-inl.h"   // ForEachVector, RowSum
#include "autograd/kernels/normal-inl.h"  // NormalGroupVectors, NormalGroup
#include "autograd/kernels/parallel.h"
#include "quant/vnq/kernels/reparam.h"

HWY_BEFORE_NAMESPACE();
namespace trit::kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr float kVarianceEpsilon = 1e-8f;     // spec §1.1
constexpr int64_t kGrain = int64_t{1} << 16;  // elements worth a thread

// Calls span(begin, end) on contiguous pieces of [0, n), on as many threads as worthwhile.
template <class Span>
void Split(size_t n, const Span& span) {
  const int64_t size = static_cast<int64_t>(n);
  parallel_for_chunks(size, worthwhile_chunks(size, size, kGrain, num_threads()),
                      [&](int64_t, int64_t begin, int64_t end) { span(begin, end); });
}

// The arrays of one reparameterisation: inputs mean, var; outputs out, slope.
struct ReparamArrays {
  const float* mean;
  const float* var;
  float* out;
  float* slope;
};

// out = (mean + bias) + s z, slope = z / (2 s) at [i, i + Lanes(d)) for the noise vector z.
template <class D, class V>
HWY_INLINE void ReparamVector(D d, V z, const ReparamArrays& a, size_t i, float bias) {
  const auto s = hn::Sqrt(
      hn::Add(hn::Max(hn::LoadU(d, a.var + i), hn::Zero(d)), hn::Set(d, kVarianceEpsilon)));
  const auto m = hn::Add(hn::LoadU(d, a.mean + i), hn::Set(d, bias));
  hn::StoreU(hn::MulAdd(s, z, m), d, a.out + i);
  hn::StoreU(hn::Div(hn::Mul(hn::Set(d, 0.5f), z), s), d, a.slope + i);
}

// The same on [begin, end) with z[i - begin] the noise of output i.
HWY_INLINE void ReparamSpan(const ReparamArrays& a, const float* z, size_t begin, size_t end,
                            float bias = 0.0f) {
  ForEachVector(end - begin, [&](auto d, size_t i) HWY_ATTR {
    ReparamVector(d, hn::LoadU(d, z + i), a, begin + i, bias);
  });
}

void ReparamImpl(const float* mean, const float* var, const float* noise, float* out, float* slope,
                 size_t n) {
  const ReparamArrays a{mean, var, out, slope};
  Split(n, [&](size_t b, size_t e) { ReparamSpan(a, noise + b, b, e); });
}

// ReparamVector for each noise vector of the group of 64 outputs from `first` (one bias).
struct GroupVector {
  const ReparamArrays& a;
  size_t first;  // the group's first output
  float bias;

  template <class D, class V>
  HWY_INLINE void operator()(D d, V z, size_t k) const {
    ReparamVector(d, z, a, first + k, bias);
  }
};

// Outputs [begin, end), one bias: the noise of whole groups of 64 goes from the generator's
// registers straight into the arithmetic; the partial groups at the ends go through an array,
// outside that loop (a call inside it would cost the loop its vector registers).
HWY_INLINE void ReparamRow(const ReparamArrays& a, const NormalKey& normal, size_t begin,
                           size_t end, float bias) {
  const auto through_array = [&](size_t from, size_t to) HWY_ATTR {
    for (size_t group = from / kNormalGroup; group * kNormalGroup < to; ++group) {
      HWY_ALIGN float z[kNormalGroup];
      NormalGroup(normal, group, z);
      const size_t first = group * kNormalGroup;
      const size_t lo = std::max(from, first), hi = std::min(to, first + kNormalGroup);
      ReparamSpan(a, z + (lo - first), lo, hi, bias);
    }
  };
  const size_t whole_begin = (begin + kNormalGroup - 1) / kNormalGroup * kNormalGroup;
  const size_t whole_end = end / kNormalGroup * kNormalGroup;
  if (whole_begin >= whole_end) return through_array(begin, end);
  if (begin < whole_begin) through_array(begin, whole_begin);
  for (size_t first = whole_begin; first < whole_end; first += kNormalGroup)
    NormalGroupVectors(normal, first / kNormalGroup, GroupVector{a, first, bias});
  if (whole_end < end) through_array(whole_end, end);
}

// Rows of one bias value (a channel plane; without a bias, runs of 4096 outputs), split over
// the threads.
void ReparamSampledImpl(const float* mean, const float* var, uint64_t key, float* out, float* slope,
                        size_t n, ChannelBias bias) {
  const ReparamArrays a{mean, var, out, slope};
  const NormalKey normal = normal_key(key);
  const size_t row = bias.values != nullptr ? bias.plane : 64 * kNormalGroup;
  const size_t rows = n == 0 ? 0 : (n - 1) / row + 1;
  const int64_t chunks = worthwhile_chunks(static_cast<int64_t>(rows), static_cast<int64_t>(n),
                                           kNormalGrain, num_threads());
  parallel_for_chunks(static_cast<int64_t>(rows), chunks,
                      [&](int64_t, int64_t first_row, int64_t end_row) HWY_ATTR {
                        for (size_t r = size_t(first_row); r < size_t(end_row); ++r) {
                          const float row_bias =
                              bias.values != nullptr ? bias.values[r % bias.channels] : 0.0f;
                          ReparamRow(a, normal, r * row, std::min(n, (r + 1) * row), row_bias);
                        }
                      });
}

// out (+)= value as `target` says (the flag is the same for every vector: predicted).
template <class D, class V>
HWY_INLINE void Put(D d, const GradOut& target, size_t k, V value) {
  if (target.add) value = hn::Add(hn::LoadU(d, target.data + k), value);
  hn::StoreU(value, d, target.data + k);
}

// d_mean (+)= g, d_var (+)= g slope on [begin, end).
HWY_INLINE void ReparamBackwardSpan(const float* g, const float* slope, GradOut d_mean,
                                    GradOut d_var, size_t begin, size_t end) {
  ForEachVector(end - begin, [&](auto d, size_t i) HWY_ATTR {
    const size_t k = begin + i;
    const auto gk = hn::LoadU(d, g + k);
    if (d_mean.data != nullptr) Put(d, d_mean, k, gk);
    if (d_var.data != nullptr) Put(d, d_var, k, hn::Mul(gk, hn::LoadU(d, slope + k)));
  });
}

void ReparamBackwardImpl(const float* g, const float* slope, GradOut d_mean, GradOut d_var,
                         size_t n) {
  Split(n, [&](size_t b, size_t e) { ReparamBackwardSpan(g, slope, d_mean, d_var, b, e); });
}

// Rows in memory order, split over the threads: each row's d_var, then its sum while the row is
// in cache; the row sums are then added per channel in image order.
void ReparamBackwardBiasImpl(const float* g, const float* slope, GradOut d_var, ChannelBias bias,
                             float* d_bias, size_t n) {
  if (n == 0) return;
  const size_t rows = n / bias.plane, images = rows / bias.channels;
  std::vector<float> row_sums(rows);
  const int64_t chunks =
      worthwhile_chunks(static_cast<int64_t>(rows), static_cast<int64_t>(n), kGrain, num_threads());
  parallel_for_chunks(static_cast<int64_t>(rows), chunks, [&](int64_t, int64_t begin, int64_t end) {
    for (size_t r = static_cast<size_t>(begin); r < static_cast<size_t>(end); ++r) {
      ReparamBackwardSpan(g, slope, {}, d_var, r * bias.plane, (r + 1) * bias.plane);
      row_sums[r] = RowSum(g + r * bias.plane, bias.plane);
    }
  });
  for (size_t c = 0; c < bias.channels; ++c) {
    double total = 0.0;
    for (size_t image = 0; image < images; ++image) total += row_sums[image * bias.channels + c];
    d_bias[c] += static_cast<float>(total);
  }
}

void ClipToBandImpl(const float* theta, const float* ls, float a, float b, float* out, size_t n,
                    float* sigma2) {
  Split(n, [&](size_t begin, size_t end) {
    ForEachVector(end - begin, [&](auto d, size_t i) HWY_ATTR {
      const size_t k = begin + i;
      const auto sigma = ExpFlushed(d, hn::Mul(hn::Set(d, 0.5f), hn::LoadU(d, ls + k)));
      const auto band = hn::MulAdd(hn::Set(d, b), sigma, hn::Set(d, a));
      hn::StoreU(hn::Min(hn::Max(hn::LoadU(d, theta + k), hn::Neg(band)), band), d, out + k);
      if (sigma2 != nullptr) hn::StoreU(hn::Mul(sigma, sigma), d, sigma2 + k);
    });
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace trit::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace trit::kernels {

HWY_EXPORT(ReparamImpl);
HWY_EXPORT(ReparamSampledImpl);
HWY_EXPORT(ReparamBackwardImpl);
HWY_EXPORT(ReparamBackwardBiasImpl);
HWY_EXPORT(ClipToBandImpl);

void reparameterize(const float* mean, const float* var, const float* noise, float* out,
                    float* var_slope, size_t n) {
  HWY_DYNAMIC_DISPATCH(ReparamImpl)(mean, var, noise, out, var_slope, n);
}
void reparameterize_sampled(const float* mean, const float* var, uint64_t key, float* out,
                            float* var_slope, size_t n, ChannelBias bias) {
  HWY_DYNAMIC_DISPATCH(ReparamSampledImpl)(mean, var, key, out, var_slope, n, bias);
}
void reparameterize_backward(const float* g, const float* var_slope, GradOut d_mean, GradOut d_var,
                             size_t n) {
  HWY_DYNAMIC_DISPATCH(ReparamBackwardImpl)(g, var_slope, d_mean, d_var, n);
}
void reparameterize_backward_with_bias(const float* g, const float* var_slope, GradOut d_var,
                                       ChannelBias bias, float* d_bias, size_t n) {
  HWY_DYNAMIC_DISPATCH(ReparamBackwardBiasImpl)(g, var_slope, d_var, bias, d_bias, n);
}
void clip_to_band(const float* theta, const float* log_sigma2, float a, float b, float* out,
                  size_t n, float* sigma2) {
  HWY_DYNAMIC_DISPATCH(ClipToBandImpl)(theta, log_sigma2, a, b, out, n, sigma2);
}

}  // namespace trit::kernels
#endif  // HWY_ONCE
