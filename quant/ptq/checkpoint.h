// What a post-training-quantised checkpoint records beside its tensors, and the per-layer table.
//
// The tensors are the model's ordinary state dict (quantised weights stored as float alphabet
// values, float biases), so `trit eval` loads it like any checkpoint of the model. Metadata
// (strings): kind = "ptq", method, levels, bits = ceil(log2 levels), and ptq = the run's
// record as JSON: settings, float_test_error, test_error and `layers` (one object per layer:
// name, type, n0, n1, quantised, rows, held_out_rows, scale, free_entries, seconds and
// layer_error / network_error, each {calibration, held_out}).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nn/safetensors.h"
#include "quant/ptq/network.h"

namespace trit::quant {

// ceil(log2 levels): 1 for L = 2, 2 for L = 3, 3 for L = 7, 4 for L = 15.
int bits_for_levels(int levels);

nlohmann::json layers_json(const NetworkPtqReport& report);

// A text table of layers_json(...), one row per layer.
std::string format_layers_table(const nlohmann::json& layers);

bool is_ptq_checkpoint(const nn::Metadata& metadata);
// The metadata written with a checkpoint for `record` (needs method, levels, bits).
nn::Metadata ptq_metadata(const nlohmann::json& record);
// The record of a PTQ checkpoint; throws Error naming `path` when it is missing or malformed.
nlohmann::json read_ptq_record(const nn::Metadata& metadata, const std::string& path);

}  // namespace trit::quant
