// Range checks for numbers in JSON metadata, before nlohmann converts them.
//
// nlohmann's get<int64_t>() and get<float>() are plain casts, undefined when the value is out
// of the target type's range ({"epochs": 1e300}), and get<uint64_t>() wraps -1. A file a user
// hands trit reaches these conversions (a checkpoint's config, a PTQ record), so readers
// check each numeric field first. Every check passes when `object` has no `key` (the type's
// default applies) and otherwise throws trit::Error "<where>: <key> = <value> is not ...".
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace trit::nn {

// A whole number (no fraction, no exponent form) in [lo, hi].
void check_json_integer(const nlohmann::json& object, const std::string& key, int64_t lo,
                        int64_t hi, const std::string& where);
// A whole number in [0, 2^64 - 1] (e.g. a seed).
void check_json_unsigned(const nlohmann::json& object, const std::string& key,
                         const std::string& where);
// A finite number a float32 holds (|value| <= FLT_MAX).
void check_json_float(const nlohmann::json& object, const std::string& key,
                      const std::string& where);

}  // namespace trit::nn
