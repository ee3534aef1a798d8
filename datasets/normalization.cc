#include "datasets/normalization.h"

#include <array>
#include <cmath>

#include "autograd/error.h"

namespace trit::datasets {

Normalization channel_mean_std(const ImageDataset& dataset) {
  check(dataset.size() > 0, "channel_mean_std", "empty dataset");
  const int64_t channels = dataset.channels();
  const int64_t plane = dataset.height() * dataset.width();
  std::vector<std::array<uint64_t, 256>> histogram(channels);
  for (auto& counts : histogram) counts.fill(0);
  const uint8_t* pixels = dataset.images().data();
  for (int64_t i = 0; i < dataset.size(); ++i) {
    for (int64_t c = 0; c < channels; ++c) {
      const uint8_t* p = pixels + (i * channels + c) * plane;
      for (int64_t k = 0; k < plane; ++k) ++histogram[c][p[k]];
    }
  }
  const double count = static_cast<double>(dataset.size() * plane);
  Normalization stats;
  for (const auto& counts : histogram) {
    double sum = 0;
    for (int v = 0; v < 256; ++v) sum += counts[v] * (v / 255.0);
    const double mean = sum / count;
    double squares = 0;
    for (int v = 0; v < 256; ++v) squares += counts[v] * (v / 255.0 - mean) * (v / 255.0 - mean);
    stats.mean.push_back(static_cast<float>(mean));
    stats.stddev.push_back(static_cast<float>(std::sqrt(squares / count)));
  }
  return stats;
}

}  // namespace trit::datasets
