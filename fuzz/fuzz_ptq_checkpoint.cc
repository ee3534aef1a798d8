// Fuzzes the PTQ checkpoint path of `trit eval` (tools/commands/eval.cc run_eval): the
// metadata (load_safetensors), the model-only load_checkpoint, then for kind "ptq" the
// record (quant/ptq/checkpoint.cc read_ptq_record) and what eval reads from it:
// method, levels, bits, float_test_error and the layers table (format_layers_table).
//
// Input: the bytes of a PTQ checkpoint .safetensors file, loaded into densenet-tiny (small,
// with BatchNorm buffers), built once.
//
// Expected: trit::Error for every malformed file (see fuzz_safetensors.cc and
// fuzz_checkpoint.cc) and a missing or malformed PTQ record. A failed load must leave the
// model unchanged (checked). Anything else, a nlohmann exception escaping included (eval
// would end with "trit: error: [json.exception...]", not a trit::Error naming the file), is
// a finding.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_common.h"
#include "nn/checkpoint.h"
#include "nn/models/registry.h"
#include "quant/ptq/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<trit::nn::Module> model = [] {
    trit::Rng rng(0);
    return trit::nn::make_model("densenet-tiny", rng);
  }();
  const std::string path = trit::fuzz::input_file("ptq.safetensors", data, size);
  trit::nn::Metadata metadata;
  if (!trit::fuzz::expect_error([&] { metadata = trit::nn::load_safetensors(path).metadata; }))
    return 0;
  const trit::fuzz::Snapshot before(*model, nullptr);
  if (!trit::fuzz::expect_error([&] { trit::nn::load_checkpoint(path, *model); })) {
    before.expect_unchanged("load_checkpoint");
    return 0;
  }
  if (!trit::quant::is_ptq_checkpoint(metadata)) return 0;
  trit::fuzz::expect_error([&] {
    // As run_eval reads it (eval.cc, "post-training quantised: ...").
    const nlohmann::json ptq = trit::quant::read_ptq_record(metadata, path);
    ptq.at("method").get<std::string>();
    ptq.at("levels").get<int>();
    ptq.at("bits").get<int>();
    ptq.at("float_test_error").get<double>();
    trit::quant::format_layers_table(ptq.at("layers"));
  });
  return 0;
}
