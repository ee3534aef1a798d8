// trit::Error: the one exception type the library throws for bad input.
//
// Contract: every message names *what* went wrong and *where* (the op, file or flag),
// e.g. "matmul: [64,800] x [500,10]: inner dimensions differ". Callers (the CLI) print
// what() once and exit non-zero; nothing in the library prints and carries on.
#pragma once

#include <stdexcept>
#include <string>

namespace trit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error("<where>: <what>") when `condition` is false.
inline void check(bool condition, const std::string& where, const std::string& what) {
  if (!condition) throw Error(where + ": " + what);
}

}  // namespace trit
