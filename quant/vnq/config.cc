#include "quant/vnq/config.h"

#include <cstdio>
#include <cstdlib>

#include "autograd/error.h"

namespace trit::quant {

std::string level_init_text(const VnqConfig& config) {
  switch (config.level_init) {
    case VnqConfig::LevelInit::kMaxAbs: return "max-abs";
    case VnqConfig::LevelInit::kTernaryFit: return "ternary-fit";
    case VnqConfig::LevelInit::kZeroShare: break;
  }
  char share[32];
  std::snprintf(share, sizeof share, "%g", config.zero_share);
  return share;
}

void set_level_init(VnqConfig& config, const std::string& text, const std::string& where) {
  using LevelInit = VnqConfig::LevelInit;
  if (text == "max-abs") {
    config.level_init = LevelInit::kMaxAbs;
  } else if (text == "ternary-fit") {
    config.level_init = LevelInit::kTernaryFit;
  } else {
    char* end = nullptr;
    const float share = std::strtof(text.c_str(), &end);
    check(!text.empty() && *end == '\0' && share > 0.0f && share < 1.0f, where,
          "level_init \"" + text + "\" is not max-abs, ternary-fit or a share in (0, 1)");
    config.level_init = LevelInit::kZeroShare;
    config.zero_share = share;
  }
}

std::string level_param_text(VnqConfig::LevelParam param) {
  return param == VnqConfig::LevelParam::kLog ? "log" : "raw";
}

VnqConfig::LevelParam parse_level_param(const std::string& text, const std::string& where) {
  check(text == "raw" || text == "log", where, "level_param \"" + text + "\" is not raw or log");
  return text == "log" ? VnqConfig::LevelParam::kLog : VnqConfig::LevelParam::kRaw;
}

}  // namespace trit::quant
