#include "nn/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "autograd/error.h"
#include "nn/atomic_file.h"

namespace trit::nn {
namespace {

using json = nlohmann::json;

// Parses the header, rejecting duplicate keys at any depth (the format forbids them;
// nlohmann would silently keep the last).
json parse_header(const std::string& text, const std::string& where) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == json::parse_event_t::object_end) open_objects.pop_back();
    if (event == json::parse_event_t::key && !open_objects.back().insert(parsed).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, callback);
  } catch (const json::exception& e) {
    throw Error(where + ": the header is not valid JSON: " + e.what());
  }
  check(duplicate.empty(), where, "the header has the key \"" + duplicate + "\" twice");
  check(header.is_object(), where, "the header is not a JSON object");
  return header;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const json& value, uint64_t data_size,
                  const std::string& file) {
  const std::string where = file + ": tensor \"" + name + "\"";
  check(value.is_object(), where, "is not a JSON object");
  check(value.contains("dtype") && value["dtype"].is_string(), where, "has no string dtype");
  const std::string dtype = value["dtype"];
  const std::optional<DType> known = dtype_from_name(dtype);
  check(known.has_value(), where, "has unknown dtype \"" + dtype + "\"");
  check(value.contains("shape") && value["shape"].is_array(), where, "has no shape array");
  const json& offsets = value.contains("data_offsets") ? value["data_offsets"] : json();
  check(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
            offsets[1].is_number_unsigned(),
        where, "data_offsets must be two non-negative integers");
  Entry entry{name, *known, {}, offsets[0], offsets[1]};
  check(entry.begin <= entry.end && entry.end <= data_size, where,
        "data_offsets [" + std::to_string(entry.begin) + "," + std::to_string(entry.end) +
            "] are out of the data section's " + std::to_string(data_size) + " bytes");
  uint64_t bytes = dtype_size(*known);
  for (const json& dim : value["shape"]) {
    check(dim.is_number_unsigned(), where, "shape has an entry that is not a size: " + dim.dump());
    const uint64_t size = dim;
    entry.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(size, INT64_MAX)));
    check(!__builtin_mul_overflow(bytes, size, &bytes), where,
          "shape " + to_string(entry.shape) + " of " + dtype + " is too large");
  }
  check(bytes == entry.end - entry.begin, where,
        "shape " + to_string(entry.shape) + " of " + dtype + " needs " + std::to_string(bytes) +
            " bytes but data_offsets span " + std::to_string(entry.end - entry.begin));
  return entry;
}

Metadata parse_metadata(const json& value, const std::string& file) {
  check(value.is_object(), file, "__metadata__ is not a JSON object");
  Metadata metadata;
  for (const auto& [key, item] : value.items()) {
    check(item.is_string(), file, "__metadata__ value of \"" + key + "\" is not a string");
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

// Tensors sorted by offset must tile the data section exactly: no overlap, no gap.
void check_tiling(std::vector<Entry>& entries, uint64_t data_size, const std::string& file) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    check(e.begin >= covered, file,
          "tensors \"" + entries[i - (i > 0)].name + "\" and \"" + e.name + "\" overlap");
    check(e.begin == covered, file,
          "data bytes [" + std::to_string(covered) + "," + std::to_string(e.begin) +
              ") belong to no tensor");
    covered = e.end;
  }
  check(covered == data_size, file,
        "data bytes [" + std::to_string(covered) + "," + std::to_string(data_size) +
            ") belong to no tensor");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "load_safetensors", "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  check(!in.bad(), "load_safetensors", "cannot read " + path);
  return bytes.str();
}

}  // namespace

void save_safetensors(const std::string& path, const StateDict& tensors, const Metadata& metadata,
                      const std::map<std::string, DType>& dtypes) {
  const std::string where = "save_safetensors: " + path;
  for (const auto& entry : dtypes)
    check(tensors.count(entry.first) == 1, where,
          "a dtype is given for \"" + entry.first + "\", which is not among the tensors");
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  for (const auto& [name, tensor] : tensors) {
    check(name != "__metadata__", where, "no tensor may be named __metadata__");
    const auto it = dtypes.find(name);
    const DType dtype = it == dtypes.end() ? DType::kF32 : it->second;
    const size_t begin = data.size();
    encode(dtype, tensor.data(), static_cast<size_t>(tensor.numel()),
           where + ": tensor \"" + name + "\"", data);
    header[name] = {{"dtype", dtype_name(dtype)},
                    {"shape", tensor.shape()},
                    {"data_offsets", {begin, data.size()}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  const uint64_t length = text.size();
  std::memcpy(bytes.data(), &length, 8);
  bytes += text;
  bytes += data;
  write_file_atomically(path, bytes, "save_safetensors");
}

SafetensorsContents load_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  const std::string file = "load_safetensors: " + path;
  check(bytes.size() >= 8, file,
        "the file has " + std::to_string(bytes.size()) +
            " bytes, too few for the 8-byte header length of a safetensors file");
  uint64_t length;  // little-endian on disk, as in memory here (see dtype.cc)
  std::memcpy(&length, bytes.data(), 8);
  check(length <= bytes.size() - 8, file,
        "the header length " + std::to_string(length) + " runs past the end of the " +
            std::to_string(bytes.size()) + "-byte file (truncated, or not a safetensors file)");
  check(length > 0 && bytes[8] == '{', file, "the header does not start with '{'");
  const json header = parse_header(bytes.substr(8, length), file);
  const uint64_t data_size = bytes.size() - 8 - length;
  const char* data = bytes.data() + 8 + length;

  SafetensorsContents contents;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      contents.metadata = parse_metadata(value, file);
    } else {
      entries.push_back(parse_entry(name, value, data_size, file));
    }
  }
  check_tiling(entries, data_size, file);
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape);
    decode(e.dtype, data + e.begin, static_cast<size_t>(t.numel()), t.data());
    contents.tensors.emplace(e.name, t);
    contents.dtypes.emplace(e.name, e.dtype);
  }
  return contents;
}

}  // namespace trit::nn
