// DataLoader: batching, seeded per-epoch shuffles, resume, prefetch, normalisation, augment.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "autograd/error.h"
#include "datasets/loader.h"

using namespace trit;
using namespace trit::datasets;

namespace {

// 10 samples of 2x2x3 bytes, labels i % 3.
ImageDataset tiny_dataset(int64_t count = 10) {
  std::vector<uint8_t> images(static_cast<size_t>(count * 12));
  for (size_t i = 0; i < images.size(); ++i) images[i] = static_cast<uint8_t>((i * 53 + 7) % 256);
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) labels[i] = i % 3;
  return ImageDataset(2, 2, 3, std::move(images), std::move(labels), {"a", "b", "c"}, "test");
}

// Every batch of `epoch`, flattened: images, labels and indices.
struct Epoch {
  std::vector<float> images;
  std::vector<int64_t> labels, indices, batch_sizes;
  bool operator==(const Epoch& o) const {
    return images == o.images && labels == o.labels && indices == o.indices &&
           batch_sizes == o.batch_sizes;
  }
};

Epoch run_epoch(DataLoader& loader, int64_t epoch, int64_t first_batch = 0) {
  loader.start_epoch(epoch, first_batch);
  Epoch out;
  Batch batch;
  while (loader.next(batch)) {
    const std::vector<float> values = batch.images.to_vector();
    out.images.insert(out.images.end(), values.begin(), values.end());
    out.labels.insert(out.labels.end(), batch.labels.begin(), batch.labels.end());
    out.indices.insert(out.indices.end(), batch.indices.begin(), batch.indices.end());
    out.batch_sizes.push_back(batch.images.size(0));
  }
  return out;
}

LoaderOptions shuffled(uint64_t seed, int64_t batch_size = 4) {
  LoaderOptions options;
  options.batch_size = batch_size;
  options.seed = seed;
  return options;
}

}  // namespace

TEST_SUITE("datasets") {
  TEST_CASE("loader without shuffle yields samples in order, last batch smaller or dropped") {
    const ImageDataset data = tiny_dataset();
    LoaderOptions options = shuffled(0);
    options.shuffle = false;
    DataLoader loader(data, options);
    CHECK(loader.batches_per_epoch() == 3);
    Epoch epoch = run_epoch(loader, 0);
    CHECK(epoch.batch_sizes == std::vector<int64_t>{4, 4, 2});
    std::vector<int64_t> all(10);
    std::iota(all.begin(), all.end(), 0);
    CHECK(epoch.indices == all);
    CHECK(epoch.labels == data.labels());
    for (size_t k = 0; k < epoch.images.size(); ++k) {
      CHECK(epoch.images[k] == doctest::Approx(data.images()[k] / 255.0f).epsilon(1e-6));
    }
    options.drop_last = true;
    DataLoader dropping(data, options);
    CHECK(dropping.batches_per_epoch() == 2);
    CHECK(run_epoch(dropping, 0).batch_sizes == std::vector<int64_t>{4, 4});
  }

  TEST_CASE("a batch size past the dataset is one batch, even near INT64_MAX (no overflow)") {
    const ImageDataset data = tiny_dataset();
    LoaderOptions options = shuffled(0);
    options.batch_size = std::numeric_limits<int64_t>::max();
    DataLoader loader(data, options);
    CHECK(loader.batches_per_epoch() == 1);
    CHECK(run_epoch(loader, 0).batch_sizes == std::vector<int64_t>{10});
    options.drop_last = true;
    CHECK(DataLoader(data, options).batches_per_epoch() == 0);
  }

  TEST_CASE("shuffle: the same seed gives the same order, each epoch its own permutation") {
    const ImageDataset data = tiny_dataset(50);
    DataLoader a(data, shuffled(5)), b(data, shuffled(5)), other(data, shuffled(6));
    const Epoch e0 = run_epoch(a, 0), e1 = run_epoch(a, 1);
    CHECK(e0 == run_epoch(b, 0));
    CHECK(e1 == run_epoch(b, 1));
    CHECK(e0.indices != e1.indices);
    CHECK(e0.indices != run_epoch(other, 0).indices);
    std::vector<int64_t> sorted = e1.indices, identity(50);
    std::iota(identity.begin(), identity.end(), 0);
    CHECK(sorted != identity);
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == identity);  // a permutation: every sample once
    for (size_t k = 0; k < e1.indices.size(); ++k) CHECK(e1.labels[k] == e1.indices[k] % 3);
    CHECK(a.epoch_order(1) == e1.indices);
  }

  TEST_CASE("resuming at epoch e or mid-epoch reproduces the uninterrupted run") {
    const ImageDataset data = tiny_dataset(30);
    LoaderOptions options = shuffled(11);
    options.augment = CropFlip{1, true};
    DataLoader full(data, options), resumed(data, options);
    run_epoch(full, 0);
    run_epoch(full, 1);
    const Epoch third = run_epoch(full, 2);
    CHECK(run_epoch(resumed, 2) == third);
    const Epoch tail = run_epoch(resumed, 2, 5);  // batches 5..7 of 8
    CHECK(tail.batch_sizes == std::vector<int64_t>{4, 4, 2});
    CHECK(tail.indices == std::vector<int64_t>(third.indices.begin() + 20, third.indices.end()));
  }

  TEST_CASE("prefetching gives exactly the batches of the synchronous loader") {
    const ImageDataset data = tiny_dataset(37);
    LoaderOptions options = shuffled(3, 5);
    options.augment = CropFlip{1, true};
    options.normalization = {{0.5f, 0.25f}, {0.2f, 0.3f}};
    DataLoader sync(data, options);
    options.prefetch = true;
    DataLoader ahead(data, options);
    for (int64_t epoch = 0; epoch < 3; ++epoch)
      CHECK(run_epoch(sync, epoch) == run_epoch(ahead, epoch));
    Batch batch;
    ahead.start_epoch(4);
    CHECK(ahead.next(batch));  // abandon epoch 4 with a batch in flight
    CHECK(run_epoch(ahead, 5) == run_epoch(sync, 5));
  }

  TEST_CASE("normalisation maps byte v of channel c to (v/255 - mean[c]) / stddev[c]") {
    const ImageDataset data = tiny_dataset(6);
    LoaderOptions options = shuffled(2, 6);
    options.normalization = {{0.5f, 0.25f}, {0.2f, 0.4f}};
    DataLoader loader(data, options);
    loader.start_epoch(0);
    Batch batch;
    REQUIRE(loader.next(batch));
    CHECK(batch.images.shape() == Shape{6, 2, 2, 3});
    for (int64_t j = 0; j < 6; ++j) {
      for (int64_t c = 0; c < 2; ++c) {
        for (int64_t k = 0; k < 6; ++k) {
          const float v = data.image(batch.indices[j])[c * 6 + k];
          const float expected =
              (v / 255.0f - options.normalization.mean[c]) / options.normalization.stddev[c];
          CHECK(batch.images.data()[(j * 2 + c) * 6 + k] ==
                doctest::Approx(expected).epsilon(1e-5));
        }
      }
    }
  }

  TEST_CASE("channel_mean_std gives the per-channel mean and population stddev") {
    // Channel 0 holds 0 and 255 (mean 0.5, stddev 0.5); channel 1 only 51 (0.2, 0).
    const ImageDataset data(2, 1, 2, {0, 255, 51, 51, 255, 0, 51, 51}, {0, 0}, {"x"}, "test");
    const Normalization stats = channel_mean_std(data);
    CHECK(stats.mean[0] == doctest::Approx(0.5));
    CHECK(stats.stddev[0] == doctest::Approx(0.5));
    CHECK(stats.mean[1] == doctest::Approx(0.2));
    CHECK(stats.stddev[1] == doctest::Approx(0.0));
    const ImageDataset tiny = tiny_dataset();  // against a direct two-pass computation
    const Normalization tiny_stats = channel_mean_std(tiny);
    for (int64_t c = 0; c < 2; ++c) {
      double sum = 0, squares = 0;
      for (int64_t i = 0; i < 10; ++i)
        for (int64_t k = 0; k < 6; ++k) sum += tiny.image(i)[c * 6 + k] / 255.0;
      const double mean = sum / 60;
      for (int64_t i = 0; i < 10; ++i) {
        for (int64_t k = 0; k < 6; ++k)
          squares += std::pow(tiny.image(i)[c * 6 + k] / 255.0 - mean, 2);
      }
      CHECK(tiny_stats.mean[c] == doctest::Approx(mean).epsilon(1e-6));
      CHECK(tiny_stats.stddev[c] == doctest::Approx(std::sqrt(squares / 60)).epsilon(1e-6));
    }
  }

  TEST_CASE("augmented batches are crop_flip of the normalised sample, whatever the batch size") {
    const ImageDataset data = tiny_dataset(9);
    LoaderOptions options = shuffled(4, 2);
    options.augment = CropFlip{1, true};
    DataLoader small(data, options);
    options.batch_size = 9;
    DataLoader whole(data, options);
    const Epoch a = run_epoch(small, 1), b = run_epoch(whole, 1);
    CHECK(a == Epoch{b.images, b.labels, b.indices, a.batch_sizes});
    for (int64_t j = 0; j < 9; ++j) {
      const int64_t sample = b.indices[j];
      std::vector<float> normalised(12), expected(12);
      for (int k = 0; k < 12; ++k) normalised[k] = data.image(sample)[k] / 255.0f;
      apply_crop_flip(normalised.data(), 2, 2, 3, 1, draw_crop_flip(*options.augment, 4, 1, sample),
                      expected.data());
      for (int k = 0; k < 12; ++k) {  // the loader multiplies by 1/255: last-bit differences
        CHECK(b.images[j * 12 + k] == doctest::Approx(expected[k]).epsilon(1e-6));
      }
    }
  }

  TEST_CASE("loader errors: batch size, normalisation sizes, stddev, next before an epoch") {
    const ImageDataset data = tiny_dataset();
    CHECK_THROWS_WITH_AS(DataLoader(data, shuffled(0, 0)),
                         "DataLoader: batch_size must be >= 1, got 0", Error);
    LoaderOptions options = shuffled(0);
    options.normalization = {{0.5f}, {0.2f}};
    CHECK_THROWS_WITH_AS(DataLoader(data, options),
                         "DataLoader: normalisation has 1 means and 1 stddevs for 2 channels",
                         Error);
    options.normalization = {{0.5f, 0.5f}, {0.2f, 0.0f}};
    CHECK_THROWS_WITH_AS(DataLoader(data, options),
                         doctest::Contains("stddev of channel 1 must be positive"), Error);
    DataLoader loader(data, shuffled(0));
    Batch batch;
    CHECK_THROWS_WITH_AS(loader.next(batch), "DataLoader: next() before start_epoch()", Error);
  }
}
