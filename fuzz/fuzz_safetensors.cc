// Fuzzes the safetensors reader (nn/safetensors.cc load_safetensors, nn/dtype.cc decode), as
// every checkpoint load and `trit info` read a .safetensors file.
//
// Input: the bytes of a .safetensors file (8-byte little-endian header length, JSON header,
// data). Every tensor of a file that loads is checked against its recorded dtype's size.
//
// Expected: trit::Error for a short file, a header length past the end, a header that is not
// a JSON object or has duplicate keys, unknown dtypes, bad shapes or offsets, tensors that
// overlap or leave bytes unused, and metadata that is not a string map. Anything else
// (including a nlohmann exception escaping) is a finding.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_common.h"
#include "nn/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = trit::fuzz::input_file("input.safetensors", data, size);
  trit::fuzz::expect_error([&] {
    const trit::nn::SafetensorsContents contents = trit::nn::load_safetensors(path);
    // A loaded file tiles its data section exactly: the element counts times the dtype
    // sizes add up to the bytes after the header.
    uint64_t header = 0;
    std::memcpy(&header, data, 8);
    uint64_t bytes = 0;
    for (const auto& [name, tensor] : contents.tensors)
      bytes += static_cast<uint64_t>(tensor.numel()) * trit::nn::dtype_size(contents.dtypes.at(name));
    if (bytes != size - 8 - header) {
      std::fprintf(stderr, "\n*** trit fuzz: loaded tensors hold %llu bytes, the data section %llu\n",
                   static_cast<unsigned long long>(bytes),
                   static_cast<unsigned long long>(size - 8 - header));
      std::abort();
    }
  });
  return 0;
}
