// `trit info CHECKPOINT` (what a checkpoint holds) and `trit summary --model NAME` (layers).
#include <cstdio>
#include <memory>

#include "nn/models/registry.h"
#include "nn/safetensors.h"
#include "nn/summary.h"
#include "tools/commands/commands.h"

namespace trit::cli {
namespace {

void run_info(const std::string& path) {
  const nn::SafetensorsContents contents = nn::load_safetensors(path);
  std::printf("%s\n", path.c_str());
  for (const auto& [key, value] : contents.metadata)
    std::printf("  %-12s %s\n", key.c_str(), value.c_str());
  int64_t elements = 0;
  for (const auto& [name, tensor] : contents.tensors) {
    std::printf("  %-40s %-5s %s\n", name.c_str(), nn::dtype_name(contents.dtypes.at(name)),
                to_string(tensor.shape()).c_str());
    elements += tensor.numel();
  }
  std::printf("tensors: %zu, elements: %lld\n", contents.tensors.size(),
              static_cast<long long>(elements));
}

void run_summary(const std::string& name, int64_t batch) {
  Rng rng(0);
  std::shared_ptr<nn::Module> model = nn::make_model(name, rng);
  Shape input = nn::model_spec(name).input_shape;
  input.insert(input.begin(), batch);
  std::printf("%s", nn::format_summary(nn::summary(*model, input)).c_str());
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("info", "list a checkpoint's metadata and tensors");
  command->add_option("checkpoint", *path, "a .safetensors file")->required()->check(CLI::ExistingFile);
  command->callback([path] { run_info(*path); });
}

void add_summary_command(CLI::App& app) {
  auto name = std::make_shared<std::string>("lenet5");
  auto batch = std::make_shared<int64_t>(1);
  CLI::App* command = app.add_subcommand("summary", "a model's layers, output shapes and parameters");
  std::string names;
  for (const std::string& n : nn::model_names()) names += (names.empty() ? "" : ", ") + n;
  command->add_option("--model", *name, "one of: " + names)
      ->check(model_name_check())
      ->capture_default_str();
  command->add_option("--batch", *batch, "batch size of the example input")
      ->check(kCount)
      ->capture_default_str();
  command->callback([name, batch] { run_summary(*name, *batch); });
}

}  // namespace trit::cli
