// The `trit` command line as a library call, so tests run exactly what users run.
//
// run_cli(args) parses args[0..] (args[0] is the program name) with CLI11, runs the chosen
// subcommand and returns the process exit code: 0 success, 2 usage error (unknown flag,
// missing or invalid value; the message suggests --help), 1 runtime error (missing or
// corrupt data, a checkpoint of another model, a NaN in training). Every error prints one
// line "trit: error: <what and where>" on stderr.
#pragma once

#include <string>
#include <vector>

namespace trit::cli {

int run_cli(const std::vector<std::string>& args);

// "trit 0.1.0 (SIMD target AVX3_ZEN4 of AVX3_ZEN4,AVX3,AVX2,...; 2 threads)"
std::string version_line();

}  // namespace trit::cli
