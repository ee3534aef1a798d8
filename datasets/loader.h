// DataLoader: float mini-batches from an in-memory ImageDataset.
//
// Contract
// - Batches are images float [B, C, H, W] = (byte / 255 - mean[c]) / stddev[c] (see
//   normalization.h), then the optional crop/flip augmentation (augment.h), with the B
//   labels and the dataset indices of the samples. B = batch_size except a smaller last
//   batch when drop_last is false and batch_size does not divide the dataset size.
// - Epoch e visits the samples in epoch_order(e): 0..N-1 without shuffling, else a
//   permutation drawn from (seed, e) alone (streams.h). The same seed gives the same
//   batches; resuming at epoch e (start_epoch(e)) reproduces that epoch exactly.
// - prefetch builds the next batch on a background std::thread while the caller uses the
//   current one; the output is identical with and without it. Exceptions from the
//   background thread are rethrown by next().
// - Sharding (data-parallel training, distributed/data_parallel.h): with shards = S > 1 each
//   batch is this shard's part of the global batch of batch_size samples, as shard_range()
//   splits it; the global batches, their order and every sample's augmentation are those of
//   the unsharded loader. A last global batch with fewer samples than shards is dropped, so
//   that no shard is ever empty. Batch::global_size is the global batch's size.
// - The loader keeps a reference to the dataset, which must outlive it. Not thread-safe:
//   one caller thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "autograd/tensor.h"
#include "datasets/augment.h"
#include "datasets/image_dataset.h"
#include "datasets/normalization.h"

namespace trit::datasets {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  Normalization normalization;      // empty: bytes / 255
  std::optional<CropFlip> augment;  // e.g. CropFlip{} for the C10+ setting
  bool prefetch = false;
  int64_t shard = 0, shards = 1;    // take part `shard` of each batch split `shards` ways

  // A pass in file order (evaluation).
  static LoaderOptions in_order(int64_t batch_size, const Normalization& normalization) {
    return {batch_size, false, false, 0, normalization, std::nullopt, false};
  }
  // A pass in the order of `seed`'s permutation of each epoch (training, calibration).
  static LoaderOptions shuffled(int64_t batch_size, uint64_t seed,
                                const Normalization& normalization) {
    return {batch_size, true, false, seed, normalization, std::nullopt, false};
  }
};

struct Batch {
  Tensor images;                 // float [B, C, H, W]
  std::vector<int64_t> labels;   // B class indices
  std::vector<int64_t> indices;  // B dataset indices
  int64_t global_size = 0;       // samples in the global batch (B when not sharded)
};

// Part `shard` of `count` items split `shards` ways: contiguous, and the first count % shards
// parts one item longer than the others (numpy.array_split's rule).
struct ShardRange {
  int64_t begin, end;
};
inline ShardRange shard_range(int64_t count, int64_t shard, int64_t shards) {
  const int64_t base = count / shards, longer = count % shards;
  const int64_t begin = shard * base + (shard < longer ? shard : longer);
  return {begin, begin + base + (shard < longer ? 1 : 0)};
}

class DataLoader {
 public:
  // Throws trit::Error for batch_size < 1 or a normalisation whose sizes differ from the
  // channel count or whose stddev is not positive.
  DataLoader(const ImageDataset& dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // Begins epoch `epoch` at batch `first_batch` (non-zero to resume mid-epoch).
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the current epoch; false (batch untouched) once the epoch is done.
  bool next(Batch& batch);

 private:
  Batch make_batch(int64_t index) const;  // batch `index` of the current epoch
  void launch_prefetch(int64_t index);
  void join_prefetch();

  const ImageDataset& dataset_;
  LoaderOptions options_;
  std::vector<float> scale_;  // per channel: 1 / (255 * stddev)
  std::vector<float> shift_;  // per channel: -mean / stddev
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t next_batch_ = 0;
  // Prefetch: the thread building batch prefetch_index_ into prefetched_.
  std::thread worker_;
  int64_t prefetch_index_ = -1;
  Batch prefetched_;
  std::exception_ptr prefetch_error_;
};

}  // namespace trit::datasets
