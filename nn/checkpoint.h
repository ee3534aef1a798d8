// Training checkpoints: a model, optionally its optimiser's state, and where training stood,
// in one safetensors file (see safetensors.h; written atomically). This file knows the format;
// train/checkpoint.h saves and restores an optim::Optimizer with it.
//
// Tensors: the model's state_dict() under its own names ("conv1.weight", so the file loads
// as a plain state dict elsewhere) and the optimiser's state under "optimizer.", e.g.
// "optimizer.group0.param3.exp_avg". __metadata__ (all strings):
//   format "trit-checkpoint-1", model (Module::name()), optimizer (kind, or "" when none),
//   config (the run's config JSON, verbatim), epoch, step (decimal), rng (the training
//   Rng's four state words as 16 hex digits each, joined by ':'), plus `extra` entries.
// Resuming with the same config, the restored Rng and the lr schedule at (epoch, step)
// continues the run bit-identically.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "autograd/random.h"
#include "nn/module.h"
#include "nn/safetensors.h"

namespace trit::nn {

struct TrainingState {
  std::string config;  // JSON text
  int64_t epoch = 0;   // epochs completed
  int64_t step = 0;    // optimiser steps taken
  Rng::State rng{};
  Metadata extra;  // more metadata; keys must not clash with the ones above
};

// Saves `model` and `state`, with an optimiser's state dict and kind when `optimizer_kind`
// is not empty (a model-only checkpoint otherwise).
void save_checkpoint(const std::string& path, const Module& model, const TrainingState& state,
                     const std::string& optimizer_kind = "",
                     const StateDict& optimizer_state = {});

// A checkpoint's contents, read and checked, applied to nothing yet.
struct CheckpointContents {
  TrainingState state;
  std::string optimizer;  // the optimiser's kind, "" when saved without one
  StateDict model_state, optimizer_state;
};
// Reads `path` and checks it: a trit checkpoint of model `model_name` whose tensors are all
// floating point and finite (check_float_tensors). Throws Error naming the file otherwise.
CheckpointContents read_checkpoint(const std::string& path, const std::string& model_name);

// Writes `contents` as the checkpoint of model `model_name` at `path` (atomically): what
// save_checkpoint writes. A copy of a read_checkpoint with `optimizer` and `optimizer_state`
// cleared is the model alone, for release: it evaluates, plots and quantises like the
// original, and refuses --resume.
void write_checkpoint(const std::string& path, const std::string& model_name,
                      const CheckpointContents& contents);

// Loads the model's state (strict) and returns the training state stored with it; any
// optimiser state in the file is ignored. Throws as read_checkpoint does, or when a tensor
// is missing or has another shape; the model is unchanged then.
TrainingState load_checkpoint(const std::string& path, Module& model);

// Throws Error "<where>: tensor NAME ..." for the first tensor of `contents` (except those
// in `skip`) that is stored as an integer or BOOL type, or that holds a NaN or an infinity.
// A model's and an optimiser's values are floating point: F32 as trit writes them, or F16,
// BF16, F64 converted (dtype.h); integer bytes read as floats are garbage, and a non-finite
// value is no trained weight. load_checkpoint and the ternary loader check with it.
void check_float_tensors(const SafetensorsContents& contents, const std::string& where,
                         const std::set<std::string>& skip = {});

std::string rng_state_to_string(const Rng::State& state);
Rng::State rng_state_from_string(const std::string& text);  // throws Error if malformed

}  // namespace trit::nn
