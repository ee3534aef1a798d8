// Fuzzes image decoding as trit reads image-folder datasets (datasets/image_folder.cc:
// stb_image's stbi_load_from_memory on hostile PNG/JPEG/... bytes, then trit's channel and
// size checks), through load_image_folder as `--dataset cifar10` reads the JPEG copy.
//
// Input: the bytes of one image file. It is written as ROOT/train/c0/image.png, the only
// image of the first class, so it fixes the dataset's size; ROOT/train/c1/ref.png, a fixed
// valid 8x8 RGB PNG, is then checked against that size. The requested channel count is
// the input's size modulo 5 (0 = the first image's own), so every stb conversion is reached.
// stb_image is compiled into this harness (fuzz/stb_image_impl.cc) for coverage.
//
// Expected: trit::Error for an undecodable image (with stb's reason) or images of different
// sizes. Anything else is a finding.
#include <cstdint>
#include <filesystem>
#include <vector>

#include "datasets/image_folder.h"
#include "fuzz/fuzz_common.h"

namespace {

// An 8x8 RGB PNG (stored, uncompressed deflate blocks), written once.
const std::vector<uint8_t>& reference_png() {
  static const std::vector<uint8_t> png = [] {
    const int side = 8;
    std::vector<uint8_t> raw;  // filter byte 0 + RGB per row
    for (int y = 0; y < side; ++y) {
      raw.push_back(0);
      for (int x = 0; x < 3 * side; ++x) raw.push_back(static_cast<uint8_t>(x * 8 + y));
    }
    std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const auto chunk = [&out](const char* type, const std::vector<uint8_t>& body) {
      const uint32_t length = static_cast<uint32_t>(body.size());
      for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(length >> s));
      std::vector<uint8_t> typed(type, type + 4);
      typed.insert(typed.end(), body.begin(), body.end());
      out.insert(out.end(), typed.begin(), typed.end());
      const uint32_t crc = static_cast<uint32_t>(
          crc32(0, typed.data(), static_cast<uInt>(typed.size())));
      for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(crc >> s));
    };
    chunk("IHDR", {0, 0, 0, side, 0, 0, 0, side, 8, 2, 0, 0, 0});
    std::vector<uint8_t> zdata(compressBound(static_cast<uLong>(raw.size())));
    uLongf zsize = static_cast<uLongf>(zdata.size());
    compress(zdata.data(), &zsize, raw.data(), static_cast<uLong>(raw.size()));
    zdata.resize(zsize);
    chunk("IDAT", zdata);
    chunk("IEND", {});
    return out;
  }();
  return png;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path root = trit::fuzz::temp_dir() / "images";
  static const bool made = [&root] {
    std::filesystem::create_directories(root / "train" / "c0");
    std::filesystem::create_directories(root / "train" / "c1");
    trit::fuzz::write_file(root / "train" / "c1" / "ref.png", reference_png().data(),
                           reference_png().size());
    return true;
  }();
  (void)made;
  trit::fuzz::write_file(root / "train" / "c0" / "image.png", data, size);
  trit::datasets::ImageFolderOptions options;
  options.channels = static_cast<int>(size % 5);
  trit::fuzz::expect_error([&] {
    trit::datasets::load_image_folder(root.string(), trit::datasets::Split::kTrain, options);
  });
  return 0;
}
