// IDX reading and the MNIST / Fashion-MNIST loaders, on synthetic files and the real data.
#include <doctest/doctest.h>

#include <filesystem>

#include "autograd/error.h"
#include "datasets/file_io.h"
#include "datasets/idx.h"
#include "datasets/mnist.h"
#include "tests/dataset_files.h"

using namespace trit;
using namespace trit::datasets;
using trit::testing::idx_bytes;
using trit::testing::TempDir;
using trit::testing::write_bytes;
using trit::testing::write_gzip;

namespace {

constexpr uint32_t kCount = 5, kRows = 3, kCols = 4;
const std::vector<uint8_t> kLabels = {3, 1, 4, 1, 5};

std::vector<uint8_t> pixels() {
  std::vector<uint8_t> values(kCount * kRows * kCols);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint8_t>((i * 37 + 11) % 256);
  return values;
}

// Writes the four MNIST files of a kCount-sample set (train and t10k alike) into `dir`.
void write_mnist(const TempDir& dir, bool gzip) {
  const std::string suffix = gzip ? ".gz" : "";
  const auto write = gzip ? write_gzip : write_bytes;
  for (const std::string prefix : {"train", "t10k"}) {
    write(dir.file(prefix + "-images-idx3-ubyte" + suffix),
          idx_bytes({kCount, kRows, kCols}, pixels()));
    write(dir.file(prefix + "-labels-idx1-ubyte" + suffix), idx_bytes({kCount}, kLabels));
  }
}

std::string load_error(const std::string& images, const std::string& labels) {
  return trit::testing::error_of([&] {
    load_idx_pair(images, labels, {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, "mnist");
  });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_SUITE("datasets") {
  TEST_CASE("mnist loader reads plain and gzip IDX files with their shapes and label order") {
    for (const bool gzip : {false, true}) {
      CAPTURE(gzip);
      TempDir dir;
      write_mnist(dir, gzip);
      for (const Split split : {Split::kTrain, Split::kTest}) {
        const ImageDataset data = load_mnist(dir.path(), split);
        CHECK(data.size() == kCount);
        CHECK(data.channels() == 1);
        CHECK(data.height() == kRows);
        CHECK(data.width() == kCols);
        CHECK(data.num_classes() == 10);
        CHECK(data.images() == pixels());
        CHECK(data.labels() == std::vector<int64_t>(kLabels.begin(), kLabels.end()));
        CHECK(data.image(2)[0] == pixels()[2 * kRows * kCols]);
      }
    }
  }

  TEST_CASE("fashion-mnist loader reads the Debian file names and names its classes") {
    TempDir dir;
    write_mnist(dir, true);
    const ImageDataset data = load_fashion_mnist(dir.path(), Split::kTrain);
    CHECK(data.size() == kCount);
    CHECK(data.class_names().front() == "T-shirt/top");
    CHECK(data.class_names().back() == "Ankle boot");
  }

  TEST_CASE("idx rejects a wrong magic number, naming the file and both numbers") {
    TempDir dir;
    std::vector<uint8_t> labels_as_images = idx_bytes({kCount}, kLabels);
    write_bytes(dir.file("images"), labels_as_images);
    write_bytes(dir.file("labels"), idx_bytes({kCount}, kLabels));
    CHECK(load_error(dir.file("images"), dir.file("labels")) ==
          "idx: " + dir.file("images") +
              ": magic number 0x00000801, expected 0x00000803 (unsigned-byte IDX with 3 "
              "dimensions)");
    std::vector<uint8_t> float_type = idx_bytes({kCount}, kLabels);
    float_type[2] = 0x0D;
    write_bytes(dir.file("labels"), float_type);
    write_bytes(dir.file("images"), idx_bytes({kCount, kRows, kCols}, pixels()));
    CHECK(contains(load_error(dir.file("images"), dir.file("labels")), "magic number 0x00000d01"));
  }

  TEST_CASE("idx reports a truncated file with the bytes that are short") {
    TempDir dir;
    std::vector<uint8_t> images = idx_bytes({kCount, kRows, kCols}, pixels());
    images.resize(images.size() - 7);
    write_bytes(dir.file("labels"), idx_bytes({kCount}, kLabels));
    SUBCASE("plain") {
      write_bytes(dir.file("images"), images);
      CHECK(load_error(dir.file("images"), dir.file("labels")) ==
            "idx: " + dir.file("images") +
                ": truncated: the 5x3x4 header needs 60 data bytes, file has 53 (7 short)");
    }
    SUBCASE("gzip content") {
      write_gzip(dir.file("images"), images);
      CHECK(contains(load_error(dir.file("images"), dir.file("labels")), "(7 short)"));
    }
    SUBCASE("gzip stream cut") {
      write_gzip(dir.file("full.gz"), idx_bytes({kCount, kRows, kCols}, pixels()));
      std::vector<uint8_t> gz = read_file(dir.file("full.gz"), "test");
      gz.resize(gz.size() / 2);
      write_bytes(dir.file("images"), gz);
      const std::string message = load_error(dir.file("images"), dir.file("labels"));
      CHECK(
          contains(message, "idx: " + dir.file("images") + ": gzip data is corrupt or truncated"));
    }
    SUBCASE("header") {
      write_bytes(dir.file("images"), {0, 0, 8, 3, 0, 0});
      CHECK(load_error(dir.file("images"), dir.file("labels")) ==
            "idx: " + dir.file("images") + ": truncated: the header needs 16 bytes, file has 6");
    }
  }

  TEST_CASE("idx rejects bytes after the data its header promises") {
    TempDir dir;
    std::vector<uint8_t> labels = idx_bytes({kCount}, kLabels);
    labels.push_back(0);
    write_bytes(dir.file("images"), idx_bytes({kCount, kRows, kCols}, pixels()));
    write_bytes(dir.file("labels"), labels);
    CHECK(load_error(dir.file("images"), dir.file("labels")) ==
          "idx: " + dir.file("labels") +
              ": 1 bytes after the 5 data (file longer than its header says)");
  }

  TEST_CASE("idx pair rejects differing counts and labels outside the classes") {
    TempDir dir;
    write_bytes(dir.file("images"), idx_bytes({kCount, kRows, kCols}, pixels()));
    write_bytes(dir.file("labels"), idx_bytes({kCount - 1}, {3, 1, 4, 1}));
    CHECK(load_error(dir.file("images"), dir.file("labels")) ==
          "mnist: " + dir.file("images") + " holds 5 images but " + dir.file("labels") +
              " holds 4 labels");
    write_bytes(dir.file("labels"), idx_bytes({kCount}, {3, 1, 10, 1, 5}));
    CHECK(load_error(dir.file("images"), dir.file("labels")) ==
          "mnist: " + dir.file("labels") + ": label 10 of sample 2 is not below 10");
  }

  TEST_CASE("a missing mnist file names the path and the fetch command") {
    TempDir dir;
    const std::string message =
        trit::testing::error_of([&] { load_mnist(dir.path(), Split::kTest); });
    const std::string path =
        (std::filesystem::path(dir.path()) / "t10k-images-idx3-ubyte").string();
    CHECK(contains(message, "mnist: missing " + path));
    CHECK(contains(message, "./run.sh"));
    CHECK(contains(message, "data/mnist"));
    CHECK_THROWS_WITH_AS(load_fashion_mnist(dir.path(), Split::kTrain),
                         doctest::Contains("apt-get install dataset-fashion-mnist"), Error);
  }

  TEST_CASE("real MNIST from data/mnist has 60000/10000 images and the known first labels") {
    if (!std::filesystem::exists(std::string(kMnistDir) + "/train-labels-idx1-ubyte") &&
        !std::filesystem::exists(std::string(kMnistDir) + "/train-labels-idx1-ubyte.gz")) {
      MESSAGE("skipped: no MNIST in " << std::string(kMnistDir) << " (./run.sh fetches it)");
      return;
    }
    const ImageDataset train = load_mnist(kMnistDir, Split::kTrain);
    const ImageDataset test = load_mnist(kMnistDir, Split::kTest);
    CHECK(train.size() == 60000);
    CHECK(test.size() == 10000);
    CHECK(train.height() == 28);
    CHECK(train.width() == 28);
    CHECK(std::vector<int64_t>(train.labels().begin(), train.labels().begin() + 4) ==
          std::vector<int64_t>{5, 0, 4, 1});
    CHECK(std::vector<int64_t>(test.labels().begin(), test.labels().begin() + 4) ==
          std::vector<int64_t>{7, 2, 1, 0});
  }

  TEST_CASE("real Fashion-MNIST from the Debian package has 60000/10000 images") {
    if (!std::filesystem::exists(std::string(kFashionMnistDebianDir) +
                                 "/t10k-labels-idx1-ubyte.gz")) {
      MESSAGE("skipped: no Fashion-MNIST in " << std::string(kFashionMnistDebianDir)
                                              << " (apt-get install dataset-fashion-mnist)");
      return;
    }
    CHECK(load_fashion_mnist(kFashionMnistDebianDir, Split::kTrain).size() == 60000);
    const ImageDataset test = load_fashion_mnist(kFashionMnistDebianDir, Split::kTest);
    CHECK(test.size() == 10000);
    CHECK(std::vector<int64_t>(test.labels().begin(), test.labels().begin() + 4) ==
          std::vector<int64_t>{9, 2, 1, 1});
  }
}
