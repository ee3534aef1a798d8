#include "nn/json_checks.h"

#include <cfloat>
#include <cmath>

#include "autograd/error.h"

namespace trit::nn {
namespace {

void refuse(const nlohmann::json& value, const std::string& key, const std::string& what,
            const std::string& where) {
  throw Error(where + ": " + key + " = " + value.dump() + " is not " + what);
}

}  // namespace

void check_json_integer(const nlohmann::json& object, const std::string& key, int64_t lo,
                        int64_t hi, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) return;
  const nlohmann::json& value = object.at(key);
  const std::string what =
      "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(hi)) refuse(value, key, what, where);
  } else if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < lo || v > hi) refuse(value, key, what, where);
  } else {
    refuse(value, key, what, where);
  }
}

void check_json_unsigned(const nlohmann::json& object, const std::string& key,
                         const std::string& where) {
  if (!object.is_object() || !object.contains(key)) return;
  const nlohmann::json& value = object.at(key);
  if (value.is_number_unsigned()) return;
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return;
  refuse(value, key, "a whole number from 0 to 2^64 - 1", where);
}

void check_json_float(const nlohmann::json& object, const std::string& key,
                      const std::string& where) {
  if (!object.is_object() || !object.contains(key)) return;
  const nlohmann::json& value = object.at(key);
  if (!value.is_number() || !(std::fabs(value.get<double>()) <= FLT_MAX))
    refuse(value, key, "a number a 32-bit float holds", where);
}

}  // namespace trit::nn
