#include "train/config.h"

#include "autograd/error.h"
#include "nn/json_checks.h"

namespace trit::train {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, model, dataset, data_dir, epochs,
                                                batch, optimizer, lr, momentum, nesterov,
                                                weight_decay, schedule, final_lr, decay_start,
                                                step_every, step_gamma, warmup_epochs, augment,
                                                seed, threads, weight_init)

nlohmann::json TrainConfig::to_json() const { return *this; }

TrainConfig TrainConfig::from_json(const nlohmann::json& json) {
  const std::string where = "training config";
  for (const char* key : {"epochs", "batch", "step_every"})
    nn::check_json_integer(json, key, 0, INT64_MAX, where);
  nn::check_json_integer(json, "threads", 0, 4096, where);
  nn::check_json_unsigned(json, "seed", where);
  for (const char* key : {"lr", "momentum", "weight_decay", "final_lr", "step_gamma"})
    nn::check_json_float(json, key, where);
  try {
    return json.get<TrainConfig>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("training config: ") + e.what());
  }
}

void TrainConfig::check_resumable_from(const TrainConfig& other) const {
  nlohmann::json mine = to_json(), theirs = other.to_json();
  // Fields that may differ on resume: more epochs, another data folder or thread count.
  for (const char* free_field : {"epochs", "data_dir", "threads"}) {
    mine.erase(free_field);
    theirs.erase(free_field);
  }
  for (const auto& [key, value] : mine.items()) {
    if (theirs[key] != value)
      throw Error("--resume: the checkpoint was trained with " + key + " = " +
                  theirs[key].dump() + " but this run asks for " + value.dump());
  }
}

}  // namespace trit::train
