// trit::Error: the one exception type the library throws for bad input.
//
// Contract: every message names *what* went wrong and *where* (the op, file or flag),
// e.g. "matmul: [64,800] x [500,10]: inner dimensions differ". Callers (the CLI) print
// what() once and exit non-zero; nothing in the library prints and carries on.
#pragma once

#include <stdexcept>
#include <utility>
#include <string>
#include <vector>

namespace trit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws Error("<where>: <what>") when `condition` is false.
inline void check(bool condition, const std::string& where, const std::string& what) {
  if (!condition) throw Error(where + ": " + what);
}

// The same with the message built only on failure: `what` is a callable returning it. For
// the checks an op makes on every call, whose messages would cost more than the op on small
// inputs: check(ok, op, [&] { return "input " + to_string(x.shape()) + " ..."; }).
template <class Where, class What, class = decltype(std::string(std::declval<const What&>()()))>
void check(bool condition, const Where& where, const What& what) {
  if (!condition) throw Error(std::string(where) + ": " + what());
}

// Throws Error("<where>: unknown <kind> '<name>'; known: a, b, c"): the one line for a name
// not in a registry (models, datasets, methods, rules).
[[noreturn]] inline void throw_unknown(const std::string& where, const std::string& kind,
                                       const std::string& name,
                                       const std::vector<std::string>& known) {
  std::string list;
  for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
  throw Error(where + ": unknown " + kind + " '" + name + "'; known: " + list);
}

// The names of a registry's entries (each with a `name` member), in order.
template <class Entry>
std::vector<std::string> names_of(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const Entry& entry : entries) names.push_back(entry.name);
  return names;
}

// The entry of `entries` whose `name` is `name`; throw_unknown(where, kind, ...) otherwise.
template <class Entry>
const Entry& find_by_name(const std::vector<Entry>& entries, const std::string& name,
                          const std::string& where, const std::string& kind) {
  for (const Entry& entry : entries)
    if (entry.name == name) return entry;
  throw_unknown(where, kind, name, names_of(entries));
}

}  // namespace trit
