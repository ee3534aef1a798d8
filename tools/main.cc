// trit: the users' front door. All logic lives in tools/cli.cc and tools/commands/.
#include <string>
#include <vector>

#include "tools/cli.h"

int main(int argc, char** argv) {
  return trit::cli::run_cli(std::vector<std::string>(argv, argv + argc));
}
