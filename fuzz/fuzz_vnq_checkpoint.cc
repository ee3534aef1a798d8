// Fuzzes the VNQ checkpoint loader (quant/vnq/checkpoint.cc load_vnq_model: the
// metadata's kind and VNQ settings JSON, parse_vnq_record, make_variational with the
// file's keep_float names, load_checkpoint of the variational model) as `trit eval`,
// `trit quantize` and `trit plot` load a VNQ checkpoint, and read_vnq_record as
// `trit vnq --resume` reads it. A checkpoint that loads is then pruned and packed to ternary
// as `trit quantize` does (compression_stats, make_ternary), so hostile values
// (NaN levels or log sigma^2) reach that code too.
//
// Input: the bytes of a VNQ checkpoint .safetensors file. The model is densenet-tiny
// (`--model densenet-tiny`: small, with BatchNorm buffers and nested layer names), built
// fresh per load by load_vnq_model itself.
//
// Expected: trit::Error for every malformed file (see fuzz_safetensors.cc and
// fuzz_checkpoint.cc), kind not "vnq", malformed settings JSON or values (level_param,
// min_level, level_init), keep_float names that are not layers of the model. Anything else
// is a finding.
#include <cstdint>

#include "fuzz/fuzz_common.h"
#include "quant/ternary/layers.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/model.h"
#include "quant/vnq/to_ternary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = trit::fuzz::input_file("vnq.safetensors", data, size);
  trit::fuzz::expect_error([&] { trit::quant::read_vnq_record(path); });
  trit::fuzz::expect_error([&] {
    const trit::quant::VnqModel vnq = trit::quant::load_vnq_model(path, "densenet-tiny");
    trit::quant::compression_stats(vnq.layers);
    trit::quant::make_ternary(*vnq.model);
  });
  return 0;
}
