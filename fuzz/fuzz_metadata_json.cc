// Fuzzes the parsers of checkpoint metadata strings directly (faster than through a whole
// .safetensors file; those paths are fuzzed by the checkpoint harnesses):
// - the run's config JSON as Trainer::resume reads it (train/trainer.cc: JSON parse,
//   TrainConfig::from_json, check_resumable_from against a default run);
// - the VNQ record JSON (quant/vnq/checkpoint.cc parse_vnq_record,
//   vnq_metadata as `trit vnq --resume` writes it back);
// - the PTQ record (quant/ptq/checkpoint.cc read_ptq_record);
// - bn_reestimated_images (baked_bn_images) and the training Rng state
//   (nn/checkpoint.cc rng_state_from_string).
//
// Input: one metadata string, given to each parser.
//
// Expected: trit::Error for malformed JSON, fields of the wrong type, settings out of range,
// a config that changes the run, a malformed count or Rng state. Anything else (a nlohmann
// exception escaping included) is a finding.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_common.h"
#include "nn/checkpoint.h"
#include "quant/ptq/checkpoint.h"
#include "quant/vnq/checkpoint.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using trit::fuzz::expect_error;

  expect_error([&] {  // Trainer::resume
    nlohmann::json saved;
    try {
      saved = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw trit::Error(std::string("config metadata is not JSON: ") + e.what());
    }
    const trit::train::TrainConfig run;
    const trit::train::TrainConfig checkpoint = trit::train::TrainConfig::from_json(saved);
    expect_error([&] { run.check_resumable_from(checkpoint); });
    checkpoint.check_resumable_from(run);
  });
  expect_error([&] {
    const trit::quant::VnqRecord record = trit::quant::parse_vnq_record({{"vnq", text}}, "fuzz");
    trit::quant::vnq_metadata(record);
  });
  expect_error([&] { trit::quant::read_ptq_record({{"kind", "ptq"}, {"ptq", text}}, "fuzz"); });
  expect_error([&] { trit::quant::baked_bn_images({{trit::quant::kBnReestimatedKey, text}}, "fuzz"); });
  expect_error([&] { trit::nn::rng_state_from_string(text); });
  return 0;
}
