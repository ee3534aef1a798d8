// CIFAR-10: binary batch records and the image-folder form, on synthetic files.
#include <doctest/doctest.h>
#include <stb_image_write.h>

#include <filesystem>

#include "autograd/error.h"
#include "datasets/cifar10.h"
#include "tests/dataset_files.h"

using namespace trit;
using namespace trit::datasets;
using trit::testing::pattern_hwc;
using trit::testing::TempDir;
using trit::testing::write_bytes;

namespace {

constexpr int kRecord = 3073;

// `labels.size()` records; record r's pixels are pattern_hwc(32, 32, 3, seed + r) bytes.
std::vector<uint8_t> records(const std::vector<uint8_t>& labels, int seed) {
  std::vector<uint8_t> bytes;
  for (size_t r = 0; r < labels.size(); ++r) {
    bytes.push_back(labels[r]);
    const std::vector<uint8_t> pixels = pattern_hwc(32, 32, 3, seed + static_cast<int>(r));
    bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  }
  return bytes;
}

std::string load_error(const std::string& dir, Split split) {
  return trit::testing::error_of([&] { load_cifar10(dir, split); });
}

}  // namespace

TEST_SUITE("datasets") {
  TEST_CASE("cifar10 binary batches: records in file order, pixels copied as CHW") {
    TempDir dir;
    write_bytes(dir.file("a.bin"), records({7, 0}, 10));
    write_bytes(dir.file("b.bin"), records({9, 3, 5}, 20));
    const ImageDataset data = read_cifar10_batches({dir.file("a.bin"), dir.file("b.bin")});
    CHECK(data.size() == 5);
    CHECK(data.channels() == 3);
    CHECK(data.height() == 32);
    CHECK(data.width() == 32);
    CHECK(data.labels() == std::vector<int64_t>{7, 0, 9, 3, 5});
    CHECK(data.class_names()[7] == "horse");
    const std::vector<uint8_t> third = pattern_hwc(32, 32, 3, 20);  // raw record bytes
    CHECK(std::vector<uint8_t>(data.image(2), data.image(2) + 3072) == third);
  }

  TEST_CASE("load_cifar10 finds the official batch files, also in cifar-10-batches-bin") {
    TempDir dir;
    write_bytes(dir.file("cifar-10-batches-bin/test_batch.bin"), records({1, 2}, 0));
    for (int i = 1; i <= 5; ++i) {
      write_bytes(dir.file("cifar-10-batches-bin/data_batch_" + std::to_string(i) + ".bin"),
                  records({static_cast<uint8_t>(i)}, i));
    }
    CHECK(load_cifar10(dir.path(), Split::kTest).labels() == std::vector<int64_t>{1, 2});
    CHECK(load_cifar10(dir.path(), Split::kTrain).labels() == std::vector<int64_t>{1, 2, 3, 4, 5});
    std::filesystem::remove(dir.file("cifar-10-batches-bin/data_batch_4.bin"));
    CHECK(load_error(dir.path(), Split::kTrain) ==
          "cifar10: " + dir.path() + "/cifar-10-batches-bin/data_batch_4.bin: no such file");
  }

  TEST_CASE("cifar10 binary rejects partial records and labels above 9") {
    TempDir dir;
    std::vector<uint8_t> bytes = records({1, 2}, 0);
    bytes.resize(bytes.size() - 100);
    write_bytes(dir.file("test_batch.bin"), bytes);
    CHECK(load_error(dir.path(), Split::kTest) ==
          "cifar10: " + dir.path() +
              "/test_batch.bin: 6046 bytes is not a whole number of 3073-byte records (1 label "
              "+ 3x32x32 pixels): 1 records and 2973 bytes left over (truncated file?)");
    write_bytes(dir.file("test_batch.bin"), records({1, 10}, 0));
    CHECK(load_error(dir.path(), Split::kTest) ==
          "cifar10: " + dir.path() + "/test_batch.bin: label 10 of record 1 is not below 10");
    static_assert(kRecord == 1 + 3 * 32 * 32);
  }

  TEST_CASE("load_cifar10 reads train/<class>/ folders in the standard class order") {
    TempDir dir;
    const std::vector<std::string>& classes = cifar10_classes();
    for (size_t c = 0; c < classes.size(); ++c) {
      const std::vector<uint8_t> pixels = pattern_hwc(32, 32, 3, static_cast<int>(c));
      const std::string path = dir.file("test/" + classes[c] + "/0000.png");
      REQUIRE(stbi_write_png(path.c_str(), 32, 32, 3, pixels.data(), 32 * 3));
    }
    const ImageDataset data = load_cifar10(dir.path(), Split::kTest);
    CHECK(data.size() == 10);
    CHECK(data.labels() == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(data.image(4)[0] == pattern_hwc(32, 32, 3, 4)[0]);
    CHECK(data.image(4)[1024] == pattern_hwc(32, 32, 3, 4)[1]);  // G plane starts at 32*32
    std::filesystem::remove_all(dir.path() + "/test/ship");
    CHECK(load_error(dir.path(), Split::kTest) ==
          "image_folder: missing class folder " + dir.path() + "/test/ship");
  }

  TEST_CASE("no cifar10 in a folder: the message names both forms and ./run.sh") {
    TempDir dir;
    const std::string message = load_error(dir.path(), Split::kTrain);
    CHECK(message.rfind("cifar10: no CIFAR-10 train split in " + dir.path(), 0) == 0);
    CHECK(message.find("data_batch_1.bin") != std::string::npos);
    CHECK(message.find("./run.sh") != std::string::npos);
  }
}
