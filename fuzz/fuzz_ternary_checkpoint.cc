// Fuzzes the ternary checkpoint loader (quant/ternary/checkpoint.cc load_ternary_checkpoint:
// packed U8 codes and levels, validate_ternary, ternary twins, the strict load of the rest)
// and the metadata `trit eval` reads from it (parse_vnq_record when "vnq" is present,
// baked_bn_images), as `trit eval` and `trit plot` load a ternary checkpoint. A checkpoint
// that loads is then read as they read it (find_ternary, nonzero counts, unpack_ternary).
//
// Input: the bytes of a ternary checkpoint .safetensors file, loaded into densenet-tiny
// (small, with BatchNorm buffers and nested layer names). The float model is built once
// and rebuilt only after a successful load (which swaps its layers for ternary ones, as
// the CLI's one load per process does).
//
// Expected: trit::Error for every malformed file (see fuzz_safetensors.cc), kind not
// "ternary", another model, codes that are not U8 or of the wrong shape, invalid codes, a
// non-finite level, missing / unexpected / mis-shaped tensors, malformed VNQ settings or
// bn_reestimated_images. A failed load must leave the model unchanged (checked). Anything
// else is a finding.
#include <cstdint>
#include <memory>

#include "fuzz/fuzz_common.h"
#include "nn/models/registry.h"
#include "quant/ternary/checkpoint.h"
#include "quant/ternary/layers.h"
#include "quant/ternary/pack.h"
#include "quant/vnq/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::shared_ptr<trit::nn::Module> model;
  if (model == nullptr) {
    trit::Rng rng(0);
    model = trit::nn::make_model("densenet-tiny", rng);
  }
  const std::string path = trit::fuzz::input_file("ternary.safetensors", data, size);
  const trit::fuzz::Snapshot before(*model, nullptr);
  trit::nn::Metadata metadata;
  const bool loaded = trit::fuzz::expect_error(
      [&] { metadata = trit::quant::load_ternary_checkpoint(path, *model); });
  if (!loaded) {
    before.expect_unchanged("load_ternary_checkpoint");
    return 0;
  }
  trit::fuzz::expect_error([&] {
    if (metadata.count("vnq")) trit::quant::parse_vnq_record(metadata, path);
    trit::quant::baked_bn_images(metadata, path);
  });
  for (const auto& [name, layer] : trit::quant::find_ternary(*model)) {
    layer->nonzero();
    trit::quant::unpack_ternary(layer->weights());
  }
  model = nullptr;  // its layers are ternary now: the next input gets a fresh float model
  return 0;
}
