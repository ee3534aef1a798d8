// Fuzzes the CIFAR-10 binary batch reader (datasets/cifar10.cc read_cifar10_batches) through
// load_cifar10, as `trit train --dataset cifar10` reads the official binary version.
//
// Input: the bytes of test_batch.bin (3073-byte records: 1 label byte, 3x32x32 pixels).
//
// Expected: trit::Error for an empty file, a file that is not a whole number of records, and
// a label >= 10. Anything else is a finding.
#include <cstdint>
#include <filesystem>

#include "datasets/cifar10.h"
#include "fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path dir = trit::fuzz::temp_dir() / "cifar10";
  std::filesystem::create_directories(dir);
  trit::fuzz::write_file(dir / "test_batch.bin", data, size);
  trit::fuzz::expect_error(
      [&] { trit::datasets::load_cifar10(dir.string(), trit::datasets::Split::kTest); });
  return 0;
}
