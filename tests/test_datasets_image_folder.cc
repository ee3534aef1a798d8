// Image-folder datasets: PNG/JPEG files written with stb_image_write, read back and checked.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stb_image_write.h>

#include "autograd/error.h"
#include "datasets/image_folder.h"
#include "tests/dataset_files.h"

using namespace trit;
using namespace trit::datasets;
using trit::testing::hwc_to_chw;
using trit::testing::pattern_hwc;
using trit::testing::TempDir;
using trit::testing::write_bytes;

namespace {

void write_png(const std::string& path, int height, int width, int channels, int seed) {
  const std::vector<uint8_t> pixels = pattern_hwc(height, width, channels, seed);
  REQUIRE(stbi_write_png(path.c_str(), width, height, channels, pixels.data(), width * channels));
}

std::string load_error(const std::string& root, const ImageFolderOptions& options = {}) {
  return trit::testing::error_of([&] { load_image_folder(root, Split::kTrain, options); });
}

}  // namespace

TEST_SUITE("datasets") {
  TEST_CASE("png folder: classes sorted by name, files by name, pixels exact as [C,H,W]") {
    TempDir dir;
    write_png(dir.file("train/bee/b.png"), 4, 5, 3, 1);
    write_png(dir.file("train/bee/a.PNG"), 4, 5, 3, 2);
    write_png(dir.file("train/ant/z.png"), 4, 5, 3, 3);
    write_bytes(dir.file("train/ant/notes.txt"), {1, 2, 3});
    write_bytes(dir.file("train/ant/.hidden.png"), {1, 2, 3});
    const ImageDataset data = load_image_folder(dir.path(), Split::kTrain);
    CHECK(data.class_names() == std::vector<std::string>{"ant", "bee"});
    CHECK(data.labels() == std::vector<int64_t>{0, 1, 1});
    REQUIRE(data.size() == 3);
    CHECK(data.channels() == 3);
    CHECK(data.height() == 4);
    CHECK(data.width() == 5);
    const int seeds[] = {3, 2, 1};  // ant/z, bee/a, bee/b
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      const std::vector<uint8_t> expected = hwc_to_chw(pattern_hwc(4, 5, 3, seeds[i]), 4, 5, 3);
      CHECK(std::vector<uint8_t>(data.image(i), data.image(i) + 60) == expected);
    }
    SUBCASE("a given class order sets the labels") {
      ImageFolderOptions options;
      options.classes = {"bee", "ant"};
      const ImageDataset reordered = load_image_folder(dir.path(), Split::kTrain, options);
      CHECK(reordered.labels() == std::vector<int64_t>{0, 0, 1});
      CHECK(reordered.image(2)[0] == data.image(0)[0]);
    }
    SUBCASE("the given classes must match the folders") {
      ImageFolderOptions options;
      options.classes = {"ant", "bee", "cat"};
      CHECK(load_error(dir.path(), options) ==
            "image_folder: missing class folder " + dir.path() + "/train/cat");
      options.classes = {"bee", "ant", "bee"};
      CHECK(load_error(dir.path(), options) == "image_folder: class 'bee' is given twice");
      options.classes = {"ant"};
      CHECK(load_error(dir.path(), options) ==
            "image_folder: " + dir.path() + "/train/bee is not one of the 1 given classes");
    }
  }

  TEST_CASE("jpeg folder decodes close to the written colours; grey converts to RGB") {
    TempDir dir;
    const std::vector<uint8_t> colour = {200, 40, 90};
    std::vector<uint8_t> flat;
    for (int p = 0; p < 64; ++p) flat.insert(flat.end(), colour.begin(), colour.end());
    REQUIRE(stbi_write_jpg(dir.file("train/c/0.jpg").c_str(), 8, 8, 3, flat.data(), 95));
    const std::vector<uint8_t> grey(64, 77);
    REQUIRE(stbi_write_jpg(dir.file("train/c/1.jpeg").c_str(), 8, 8, 1, grey.data(), 95));
    ImageFolderOptions options;
    options.channels = 3;
    const ImageDataset data = load_image_folder(dir.path(), Split::kTrain, options);
    REQUIRE(data.size() == 2);
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 64; ++p) {
        CHECK(std::abs(data.image(0)[c * 64 + p] - colour[c]) <= 3);
        CHECK(std::abs(data.image(1)[c * 64 + p] - 77) <= 1);
      }
    }
  }

  TEST_CASE("image folder errors name the folder or file") {
    TempDir dir;
    write_png(dir.file("train/a/0.png"), 4, 4, 3, 1);
    SUBCASE("missing split folder") {
      CHECK_THROWS_WITH_AS(load_image_folder(dir.path(), Split::kTest),
                           ("image_folder: missing folder " + dir.path() + "/test (expected " +
                            dir.path() + "/test/<class>/*.jpg|png)")
                               .c_str(),
                           Error);
    }
    SUBCASE("empty class") {
      write_bytes(dir.file("train/b/readme.txt"), {1});
      CHECK(load_error(dir.path()) ==
            "image_folder: " + dir.path() + "/train/b: empty class (no .jpg/.jpeg/.png files)");
    }
    SUBCASE("wrong size, against the first image or the options") {
      write_png(dir.file("train/a/1.png"), 4, 5, 3, 2);
      CHECK(load_error(dir.path()) == "image_folder: " + dir.path() +
                                          "/train/a/1.png: image is 4x5 (height x width), "
                                          "expected 4x4");
      ImageFolderOptions options;
      options.height = 5;
      options.width = 4;
      CHECK(load_error(dir.path(), options) ==
            "image_folder: " + dir.path() +
                "/train/a/0.png: image is 4x4 (height x width), expected 5x4");
    }
    SUBCASE("a header claiming a huge image is refused before decoding") {
      // A PNG signature and an IHDR chunk for 5000 x 5000 RGB pixels, and nothing more.
      std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                  'I',  'H', 'D', 'R', 0,    0,    0x13, 0x88, 0,   0, 0x13,
                                  0x88, 8,   2,   0,   0,    0,    0,    0,    0,   0};
      write_bytes(dir.file("train/a/1.png"), png);
      CHECK(load_error(dir.path()) == "image_folder: " + dir.path() +
                                          "/train/a/1.png: image is 5000x5000 (height x width), "
                                          "larger than the 4096 x 4096 trit decodes for a data "
                                          "set");
      // As the first image, which fixes the data set's size, too.
      std::filesystem::rename(dir.file("train/a/1.png"), dir.file("train/a/00.png"));
      CHECK(load_error(dir.path()).find("00.png: image is 5000x5000") != std::string::npos);
      // One side alone too: 4 x 60000 is fewer pixels than 4096 x 4096 (fuzz_image's slow JPEG
      // was 132 x 59,169).
      png[18] = 0, png[19] = 4, png[20] = 0, png[21] = 0, png[22] = 0xEA, png[23] = 0x60;
      write_bytes(dir.file("train/a/00.png"), png);
      CHECK(load_error(dir.path()).find("00.png: image is 60000x4 (height x width), larger") !=
            std::string::npos);
    }
    SUBCASE("other formats are refused whatever the name (stb_image would sniff them)") {
      // A 16-bit PGM whose decoding crashed Debian's libstb under the fuzzer.
      const std::string pgm = "P5 162\n50100\n501\x01";
      write_bytes(dir.file("train/a/1.png"), std::vector<uint8_t>(pgm.begin(), pgm.end()));
      CHECK(load_error(dir.path()) ==
            "image_folder: " + dir.path() +
                "/train/a/1.png: not a PNG or JPEG file (it starts with 50 35 20 31); image "
                "folders hold PNG and JPEG images");
    }
    SUBCASE("header fields stb_image would trust are checked first") {
      // A PNG chunk declaring 2 GiB in a 41-byte file (stb would allocate it).
      std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                  'I',  'H', 'D', 'R', 0,    0,    0,    5,    0,   0, 0,
                                  4,    8,   2,   0,   0,    0,    0,    0,    0,   0,
                                  0x7f, 0xff, 0xff, 0xff, 'I', 'D', 'A', 'T'};
      write_bytes(dir.file("train/a/1.png"), png);
      CHECK(load_error(dir.path()) ==
            "image_folder: " + dir.path() +
                "/train/a/1.png: corrupt PNG: chunk 'IDAT' at byte 33 declares 2147483647 "
                "bytes, past the end of the 41-byte file");
      // A JPEG Huffman table of 16 x 17 = 272 codes (stb's table holds 256).
      std::vector<uint8_t> jpeg = {0xFF, 0xD8, 0xFF, 0xC4, 0, 19, 0x00};
      jpeg.insert(jpeg.end(), 16, 17);
      write_bytes(dir.file("train/a/1.png"), jpeg);
      CHECK(load_error(dir.path()) == "image_folder: " + dir.path() +
                                          "/train/a/1.png: corrupt JPEG: a Huffman table in "
                                          "segment FFC4 at byte 2 declares 272 codes (at most "
                                          "256)");
    }
    SUBCASE("a JPEG scan must decode with Huffman tables defined before it") {
      // stb_image_write's baseline JPEG, its scan switched to tables 3, which no DHT defines
      // (stb would decode with uninitialised tables: fuzz_image's finding).
      const std::vector<uint8_t> grey(64, 128);
      const std::string path = dir.file("train/a/1.png");
      REQUIRE(stbi_write_jpg(path.c_str(), 8, 8, 1, grey.data(), 90));
      std::ifstream in(path, std::ios::binary);
      std::vector<uint8_t> jpeg((std::istreambuf_iterator<char>(in)), {});
      size_t sos = 0;
      for (size_t i = 2; i + 1 < jpeg.size() && !sos; ++i)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) sos = i;
      REQUIRE(sos > 0);
      REQUIRE(jpeg[sos + 4] == 3);  // components (YCbCr); the first's [id, tables] at sos + 5
      jpeg[sos + 6] = 0x03;         // DC table 0, AC table 3
      write_bytes(path, jpeg);
      CHECK(load_error(dir.path()) ==
            "image_folder: " + dir.path() + "/train/a/1.png: corrupt JPEG: the scan in segment "
                                            "FFDA at byte " + std::to_string(sos) +
                " decodes with AC Huffman table 3, which no DHT segment before it defines");
      jpeg[sos + 6] = 0x20;  // DC table 2
      write_bytes(path, jpeg);
      CHECK(load_error(dir.path()).find("decodes with DC Huffman table 2, which no DHT") !=
            std::string::npos);
    }
    SUBCASE("undecodable files: the first in sample order is reported") {
      write_bytes(dir.file("train/a/1.png"), {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1});
      write_bytes(dir.file("train/b/0.jpg"), {0xFF, 0xD8, 0xFF});
      CHECK(load_error(dir.path())
                .rfind("image_folder: " + dir.path() +
                           "/train/a/1.png: cannot decode image (stb_image: ",
                       0) == 0);
    }
  }
}
