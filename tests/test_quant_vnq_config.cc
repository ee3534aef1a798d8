// The one VNQ config type and the record a VNQ checkpoint keeps of it: text forms of the level
// rules, the JSON round trip, and the JSON that checkpoints written before the config merge
// hold (the keys of the former VnqSettings) still loading to the same config.
#include <doctest/doctest.h>

#include <string>

#include "autograd/error.h"
#include "quant/vnq/checkpoint.h"
#include "quant/vnq/config.h"

using namespace trit;
using namespace trit::quant;

TEST_SUITE("quant") {
  TEST_CASE("the level-init rule reads and writes the texts the CLI and checkpoints use") {
    VnqConfig config;
    CHECK(level_init_text(config) == "max-abs");
    set_level_init(config, "ternary-fit", "t");
    CHECK(config.level_init == VnqConfig::LevelInit::kTernaryFit);
    CHECK(level_init_text(config) == "ternary-fit");
    set_level_init(config, "0.65", "t");
    CHECK(config.level_init == VnqConfig::LevelInit::kZeroShare);
    CHECK(config.zero_share == 0.65f);
    CHECK(level_init_text(config) == "0.65");
    for (const char* bad : {"", "auto", "1", "0", "0.5x", "max_abs"}) {
      CAPTURE(bad);
      CHECK_THROWS_WITH_AS(set_level_init(config, bad, "--level-init"),
                           doctest::Contains("--level-init: level_init"), Error);
    }
    CHECK(parse_level_param("log", "t") == VnqConfig::LevelParam::kLog);
    CHECK(level_param_text(parse_level_param("raw", "t")) == "raw");
    CHECK_THROWS_WITH_AS(parse_level_param("exp", "f.safetensors"),
                         "f.safetensors: level_param \"exp\" is not raw or log", Error);
  }

  TEST_CASE("a VNQ record survives the metadata round trip") {
    VnqRecord record;
    record.config.kl_warmup = 2.0;
    record.config.kl_delay = 1.5;
    record.config.log_threshold = 3.0f;
    record.config.shadow_weights = false;
    set_level_init(record.config, "0.7", "t");
    record.config.level_param = VnqConfig::LevelParam::kLog;
    record.config.min_level = 0.3f;
    record.config.log_sigma2_lr_scale = 4.0f;
    record.config.keep_float = {"features.conv0"};
    record.original_error = 0.125;
    const nn::Metadata metadata = vnq_metadata(record);
    CHECK(is_vnq_checkpoint(metadata));
    const VnqRecord back = parse_vnq_record(metadata, "f");
    CHECK(back.config.kl_warmup == 2.0);
    CHECK(back.config.kl_delay == 1.5);
    CHECK(back.config.log_threshold == 3.0f);
    CHECK_FALSE(back.config.shadow_weights);
    CHECK(back.config.level_init == VnqConfig::LevelInit::kZeroShare);
    CHECK(back.config.zero_share == 0.7f);
    CHECK(back.config.level_param == VnqConfig::LevelParam::kLog);
    CHECK(back.config.min_level == 0.3f);
    CHECK(back.config.log_sigma2_lr_scale == 4.0f);
    CHECK(back.config.keep_float == record.config.keep_float);
    CHECK(back.original_error == 0.125);
  }

  TEST_CASE("the VNQ JSON of earlier checkpoints loads; missing keys keep their defaults") {
    // as the former VnqSettings wrote it (trit vnq, session 9)
    const std::string earlier =
        R"({"keep_float":[],"kl_delay":0.0,"kl_warmup":2.0,"level_init":"0.65",)"
        R"("level_param":"raw","log_threshold":2.0,"min_level":0.05000000074505806,)"
        R"("original_error":0.0123,"shadow_weights":true})";
    const VnqRecord record = parse_vnq_record({{"kind", "vnq"}, {"vnq", earlier}}, "old");
    CHECK(record.config.kl_warmup == 2.0);
    CHECK(record.config.zero_share == 0.65f);
    CHECK(record.config.min_level == 0.05f);
    CHECK(record.config.log_sigma2_lr_scale == 1.0f);  // one rate, as those runs trained
    CHECK(record.original_error == 0.0123);
    const VnqRecord sparse = parse_vnq_record({{"vnq", R"({"kl_warmup": 4})"}}, "old");
    CHECK(sparse.config.kl_warmup == 4.0);
    CHECK(sparse.config.level_init == VnqConfig::LevelInit::kMaxAbs);
    CHECK(sparse.original_error < 0);
    CHECK_THROWS_WITH_AS(parse_vnq_record({{"vnq", R"({"level_param": "exp"})"}}, "old"),
                         "old: VNQ settings: level_param \"exp\" is not raw or log", Error);
    CHECK_THROWS_WITH_AS(parse_vnq_record({{"vnq", R"({"min_level": -1})"}}, "old"),
                         doctest::Contains("old: VNQ settings: min_level"), Error);
    CHECK_THROWS_WITH_AS(parse_vnq_record({{"vnq", R"({"log_sigma2_lr_scale": 0})"}}, "old"),
                         doctest::Contains("old: VNQ settings: log_sigma2_lr_scale"), Error);
    CHECK_THROWS_WITH_AS(parse_vnq_record({{"vnq", R"({"kl_warmup": "x"})"}}, "old"),
                         doctest::Contains("old: malformed VNQ settings"), Error);
  }
}
