#include <cstdlib>
#include <string>

#include "tools/commands/commands.h"

namespace trit::cli {
namespace {

// A CLI11 validator named `name` that accepts the numbers for which `accept` holds and
// otherwise returns "<value> is not <what>" (CLI11 puts the flag's name in front).
CLI::Validator number_check(const std::string& name, const std::string& what,
                            bool (*accept)(double)) {
  return CLI::Validator(
      [what, accept](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0') return text + " is not a number";
        return accept(value) ? std::string() : text + " is not " + what;
      },
      name);
}

}  // namespace

const CLI::Validator kPositive =
    number_check("POSITIVE", "positive", [](double v) { return v > 0.0; });
const CLI::Validator kNonNegative =
    number_check("NONNEGATIVE", "zero or positive", [](double v) { return v >= 0.0; });

}  // namespace trit::cli
