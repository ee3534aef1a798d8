// Ternary checkpoints: a quantised model (quant/ternary/layers.h) in one safetensors file
// (nn/safetensors.h), what `trit quantize` writes and `trit eval` runs (shared/spec/vnq.md §5).
//
// Format
// - For each ternary layer with dotted name P:
//     "P.codes"  U8  [rows, ternary_bytes_per_row(cols)]  the packed bytes (ternary_pack.h)
//     "P.level"  F32 [1]                                  the level a (weight of code +1)
//     "P.bias"   F32 [rows]                               when the layer has a bias
// - Every other parameter and buffer of the model as F32 under its own name (a layer left in
//   float, BatchNorm statistics, ...).
// - __metadata__: kind = "ternary", model = Module::name(), plus the caller's entries (trit
//   quantize adds vnq = the VNQ settings JSON and log_threshold).
//
// save_ternary_checkpoint writes atomically (a failure leaves any previous file intact).
// Throws Error if the model has no ternary layer or `extra` sets kind or model.
//
// load_ternary_checkpoint loads into a freshly built float model of the same name: every
// nn::Linear / nn::Conv2d whose "P.codes" is in the file becomes a TernaryLinear /
// TernaryConv2d, then everything else loads strictly. Throws Error "load_ternary_checkpoint:
// <file>: ..." for: a file that is not a ternary checkpoint or holds another model, codes of
// a layer that is not Linear/Conv2d or not in the model, codes not U8, codes or level of the
// wrong shape, invalid codes (validate_ternary: code 10 or non-zero padding), a non-finite
// level, and missing, unexpected or mis-shaped tensors. On error the model is unchanged.
#pragma once

#include <string>

#include "nn/module.h"
#include "nn/safetensors.h"

namespace trit::quant {

inline constexpr char kTernaryKind[] = "ternary";

bool is_ternary_checkpoint(const nn::Metadata& metadata);

void save_ternary_checkpoint(const std::string& path, const nn::Module& model,
                             const nn::Metadata& extra = {});

// Returns the file's metadata.
nn::Metadata load_ternary_checkpoint(const std::string& path, nn::Module& model);

}  // namespace trit::quant
