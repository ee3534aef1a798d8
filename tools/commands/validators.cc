#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <string>

#include "nn/models/registry.h"
#include "tools/commands/commands.h"
#include "train/data.h"

namespace trit::cli {
namespace {

// A CLI11 validator named `name` that accepts the finite numbers a float32 holds for which
// `accept` holds, and otherwise returns "<value> is not <what>" (CLI11 puts the flag's name
// in front). A value a float32 would round to 0 or infinity (1e-50, 1e40) is refused, not
// stored changed.
CLI::Validator number_check(const std::string& name, const std::string& what,
                            bool (*accept)(double)) {
  return CLI::Validator(
      [what, accept](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0') return text + " is not a number";
        if (!std::isfinite(value)) return text + " is not a finite number";
        if (!accept(value)) return text + " is not " + what;
        const double magnitude = std::fabs(value);
        if (magnitude > FLT_MAX || (magnitude > 0 && magnitude < FLT_MIN))
          return text + " is out of the range of a 32-bit float";
        return std::string();
      },
      name);
}

}  // namespace

const CLI::Validator kPositive =
    number_check("POSITIVE", "positive", [](double v) { return v > 0.0; });
const CLI::Validator kNonNegative =
    number_check("NONNEGATIVE", "zero or positive", [](double v) { return v >= 0.0; });
const CLI::Validator kUnitInterval =
    number_check("[0, 1]", "in [0, 1]", [](double v) { return v >= 0.0 && v <= 1.0; });

CLI::Validator whole_number(uint64_t min, uint64_t max) {
  const std::string range =
      "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return text + " is not " + range;
        errno = 0;
        const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
        if (errno == ERANGE || value < min || value > max) return text + " is not " + range;
        return std::string();
      },
      "INT in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
}

const CLI::Validator kCount = whole_number(1, uint64_t{1} << 30);
const CLI::Validator kImageCount = whole_number(0, uint64_t{1} << 30);
const CLI::Validator kThreads = whole_number(0, 4096);
const CLI::Validator kSeed = whole_number(0, UINT64_MAX);

CLI::Validator model_name_check() {
  return CLI::IsMember(nn::model_names());
}

void add_dataset_option(CLI::App& command, std::string& dataset, const std::string& help_prefix) {
  std::string names;
  for (const std::string& name : train::dataset_names()) names += (names.empty() ? "" : " | ") + name;
  command.add_option("--dataset", dataset, help_prefix + names)
      ->check(CLI::IsMember(train::dataset_names()))
      ->capture_default_str();
}

}  // namespace trit::cli
