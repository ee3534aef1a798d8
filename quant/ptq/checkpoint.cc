#include "quant/ptq/checkpoint.h"

#include "autograd/error.h"
#include "nn/json_checks.h"
#include "report/table.h"

namespace trit::quant {

using report::fixed;
using report::format_table;

int bits_for_levels(int levels) {
  int bits = 0;
  while ((1 << bits) < levels) ++bits;
  return bits;
}

nlohmann::json layers_json(const NetworkPtqReport& report) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerPtqReport& l : report.layers) {
    layers.push_back(
        {{"name", l.name},
         {"type", l.type},
         {"n0", l.n0},
         {"n1", l.n1},
         {"quantised", l.quantised},
         {"rows", l.rows},
         {"held_out_rows", l.held_out_rows},
         {"scale", l.scale},
         {"free_entries", l.free_entries},
         {"seconds", l.seconds},
         {"layer_error",
          {{"calibration", l.layer_error_calibration}, {"held_out", l.layer_error_held_out}}},
         {"network_error",
          {{"calibration", l.network_error_calibration}, {"held_out", l.network_error_held_out}}}});
  }
  return layers;
}

std::string format_layers_table(const nlohmann::json& layers) {
  std::vector<std::vector<std::string>> rows;
  for (const nlohmann::json& l : layers) {
    const bool quantised = l.at("quantised");
    const double free = l.at("free_entries");
    const auto pair = [&](const char* key) {
      return fixed(l.at(key).at("calibration"), 4) + " / " + fixed(l.at(key).at("held_out"), 4);
    };
    rows.push_back({l.at("name"), l.at("type"),
                    std::to_string(l.at("n0").get<int64_t>()) + "->" +
                        std::to_string(l.at("n1").get<int64_t>()),
                    std::to_string(l.at("rows").get<int64_t>()),
                    quantised ? fixed(l.at("scale"), 4) : "float", free >= 0 ? fixed(free, 1) : "",
                    pair("layer_error"), pair("network_error"),
                    quantised ? fixed(l.at("seconds"), 2) : ""});
  }
  return format_table({"layer", "type", "N0->N1", "rows", "c", "free",
                              "layer err cal / held-out", "network err cal / held-out", "s"},
                             rows);
}

bool is_ptq_checkpoint(const nn::Metadata& metadata) {
  const auto kind = metadata.find("kind");
  return kind != metadata.end() && kind->second == "ptq";
}

nn::Metadata ptq_metadata(const nlohmann::json& record) {
  return {{"kind", "ptq"},
          {"method", record.at("method").get<std::string>()},
          {"levels", std::to_string(record.at("levels").get<int>())},
          {"bits", std::to_string(record.at("bits").get<int>())},
          {"ptq", record.dump()}};
}

nlohmann::json read_ptq_record(const nn::Metadata& metadata, const std::string& path) {
  check(is_ptq_checkpoint(metadata), path, "not a PTQ checkpoint (metadata kind is not \"ptq\")");
  const auto record = metadata.find("ptq");
  check(record != metadata.end(), path, "PTQ checkpoint without its \"ptq\" record");
  const std::string where = path + ": PTQ record";
  try {
    nlohmann::json parsed = nlohmann::json::parse(record->second);
    // Everything eval reads, checked here: the fields, their types and integer ranges.
    parsed.at("method").get<std::string>();
    nn::check_json_integer(parsed, "levels", 2, 65536, where);
    nn::check_json_integer(parsed, "bits", 1, 64, where);
    parsed.at("levels").get<int>();
    parsed.at("bits").get<int>();
    parsed.at("float_test_error").get<double>();
    check(parsed.at("layers").is_array() && !parsed.at("layers").empty(), where,
          "layers is not a non-empty list");
    for (const nlohmann::json& layer : parsed.at("layers"))
      for (const char* key : {"n0", "n1", "rows"})
        nn::check_json_integer(layer, key, 0, INT64_MAX, where + " layer");
    format_layers_table(parsed.at("layers"));
    return parsed;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": malformed PTQ record in the metadata: " + e.what());
  }
}

}  // namespace trit::quant
