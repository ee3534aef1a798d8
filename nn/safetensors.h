// safetensors files (https://github.com/huggingface/safetensors, format as in its README):
//
//   8 bytes    N, the header length, unsigned little-endian 64-bit
//   N bytes    JSON object: name -> {"dtype": "F32", "shape": [2,3], "data_offsets": [b, e]}
//              plus an optional "__metadata__": {string: string}; trit pads it with spaces
//              so the data starts at a multiple of 8 bytes
//   the rest   raw little-endian tensor data; offsets are relative to its start
//
// Element types and their conversions: dtype.h.
// save_safetensors writes a temporary file in the target's directory, syncs it and
// renames it over `path`, so a failure never leaves a half-written checkpoint and never
// destroys the previous one. Tensors are stored as F32 unless `dtypes` names another type
// for them; integer and BOOL types require integral values in range (else Error).
//
// load_safetensors reads any dtype below and converts values to float32 (I64 values past
// 2^24 round). It validates the whole file and throws Error naming the file for: a file
// shorter than 8 bytes, a header length past the end of the file, a header that is not a
// JSON object (parse errors quote nlohmann's message) or has duplicate keys, an unknown
// dtype, bad shapes or offsets, offsets out of the data, tensors that overlap or leave
// bytes of the data unused, a byte span that differs from shape x dtype size, and
// metadata that is not a string -> string map.
#pragma once

#include <map>
#include <string>

#include "nn/dtype.h"
#include "nn/module.h"

namespace trit::nn {

using Metadata = std::map<std::string, std::string>;

struct SafetensorsContents {
  StateDict tensors;                    // float32, no grad
  std::map<std::string, DType> dtypes;  // the type each tensor had in the file
  Metadata metadata;                    // empty when the file has no __metadata__
};

void save_safetensors(const std::string& path, const StateDict& tensors,
                      const Metadata& metadata = {},
                      const std::map<std::string, DType>& dtypes = {});

SafetensorsContents load_safetensors(const std::string& path);

}  // namespace trit::nn
