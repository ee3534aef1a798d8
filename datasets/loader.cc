#include "datasets/loader.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "autograd/error.h"
#include "datasets/streams.h"

namespace trit::datasets {
namespace {
constexpr const char* kWhere = "DataLoader";
}  // namespace

DataLoader::DataLoader(const ImageDataset& dataset, LoaderOptions options)
    : dataset_(dataset), options_(std::move(options)) {
  check(options_.batch_size >= 1, kWhere,
        "batch_size must be >= 1, got " + std::to_string(options_.batch_size));
  check(options_.shards >= 1 && options_.shard >= 0 && options_.shard < options_.shards, kWhere,
        "shard " + std::to_string(options_.shard) + " of " + std::to_string(options_.shards));
  check(options_.batch_size >= options_.shards, kWhere,
        "a batch of " + std::to_string(options_.batch_size) + " cannot be split over " +
            std::to_string(options_.shards) + " processes: give --batch of at least " +
            std::to_string(options_.shards));
  const Normalization& norm = options_.normalization;
  const size_t channels = static_cast<size_t>(dataset_.channels());
  if (norm.mean.empty() && norm.stddev.empty()) {
    scale_.assign(channels, 1.0f / 255.0f);
    shift_.assign(channels, 0.0f);
  } else {
    check(norm.mean.size() == channels && norm.stddev.size() == channels, kWhere,
          "normalisation has " + std::to_string(norm.mean.size()) + " means and " +
              std::to_string(norm.stddev.size()) + " stddevs for " + std::to_string(channels) +
              " channels");
    for (size_t c = 0; c < channels; ++c) {
      check(norm.stddev[c] > 0, kWhere,
            "stddev of channel " + std::to_string(c) + " must be positive, got " +
                std::to_string(norm.stddev[c]));
      scale_.push_back(1.0f / (255.0f * norm.stddev[c]));
      shift_.push_back(-norm.mean[c] / norm.stddev[c]);
    }
  }
}

DataLoader::~DataLoader() { join_prefetch(); }

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_.size(), b = options_.batch_size;
  const bool last_too_small = options_.drop_last || n % b < options_.shards;  // see the header
  return n / b + (n % b != 0 && !last_too_small);  // no n + b - 1: b may be near INT64_MAX
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(dataset_.size()));
  std::iota(order.begin(), order.end(), 0);
  if (!options_.shuffle) return order;
  Rng rng = stream_rng(options_.seed, Stream::kShuffle, epoch);
  for (size_t i = order.size(); i > 1; --i) {  // Fisher-Yates
    std::swap(order[i - 1], order[rng.below(i)]);
  }
  return order;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  check(epoch >= 0, kWhere, "epoch must be >= 0, got " + std::to_string(epoch));
  check(first_batch >= 0 && first_batch <= batches_per_epoch(), kWhere,
        "first batch " + std::to_string(first_batch) + " outside [0, " +
            std::to_string(batches_per_epoch()) + "]");
  join_prefetch();
  prefetch_index_ = -1;
  prefetch_error_ = nullptr;
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  next_batch_ = first_batch;
  if (options_.prefetch && next_batch_ < batches_per_epoch()) launch_prefetch(next_batch_);
}

bool DataLoader::next(Batch& batch) {
  check(epoch_ >= 0, kWhere, "next() before start_epoch()");
  if (next_batch_ >= batches_per_epoch()) return false;
  join_prefetch();
  if (prefetch_index_ == next_batch_) {
    prefetch_index_ = -1;
    if (prefetch_error_) std::rethrow_exception(std::exchange(prefetch_error_, nullptr));
    batch = std::move(prefetched_);
  } else {
    batch = make_batch(next_batch_);
  }
  ++next_batch_;
  if (options_.prefetch && next_batch_ < batches_per_epoch()) launch_prefetch(next_batch_);
  return true;
}

Batch DataLoader::make_batch(int64_t index) const {
  const int64_t global_begin = index * options_.batch_size;
  const int64_t global_size = std::min(options_.batch_size, dataset_.size() - global_begin);
  const ShardRange part = shard_range(global_size, options_.shard, options_.shards);
  const int64_t begin = global_begin + part.begin, end = global_begin + part.end;
  const int64_t channels = dataset_.channels(), height = dataset_.height();
  const int64_t width = dataset_.width(), plane = height * width;
  Batch batch;
  batch.global_size = global_size;
  batch.images = Tensor::empty({end - begin, channels, height, width});
  std::vector<float> scratch(options_.augment ? static_cast<size_t>(channels * plane) : 0);
  for (int64_t j = 0; j < end - begin; ++j) {
    const int64_t sample = order_[begin + j];
    batch.indices.push_back(sample);
    batch.labels.push_back(dataset_.label(sample));
    float* out = batch.images.data() + j * channels * plane;
    float* normalised = options_.augment ? scratch.data() : out;
    const uint8_t* pixels = dataset_.image(sample);
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t k = 0; k < plane; ++k) {
        normalised[c * plane + k] = pixels[c * plane + k] * scale_[c] + shift_[c];
      }
    }
    if (options_.augment) {
      const CropFlipDraw draw = draw_crop_flip(*options_.augment, options_.seed, epoch_, sample);
      apply_crop_flip(normalised, channels, height, width, options_.augment->padding, draw, out);
    }
  }
  return batch;
}

void DataLoader::launch_prefetch(int64_t index) {
  join_prefetch();
  prefetch_index_ = index;
  worker_ = std::thread([this, index] {
    try {
      prefetched_ = make_batch(index);
    } catch (...) {
      prefetch_error_ = std::current_exception();
    }
  });
}

void DataLoader::join_prefetch() {
  if (worker_.joinable()) worker_.join();
}

}  // namespace trit::datasets
