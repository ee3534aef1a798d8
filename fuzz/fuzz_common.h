// Shared pieces of the libFuzzer harnesses (fuzz/fuzz_*.cc).
//
// The rules every harness follows:
// - The readers take paths, so the input is written to a file in a per-process temporary
//   folder (under $TMPDIR, else /tmp; removed at exit), then read the way the CLI reads it.
// - trit::Error is the documented rejection of bad input: expect_error() swallows it. Any
//   other exception is a finding: it is printed with its type and the harness aborts, so
//   libFuzzer records the input (as it does for crashes, sanitizer reports and timeouts).
// - Models and optimisers are built once (static). A failed load must leave them unchanged
//   (the loaders promise it); Snapshot checks that and aborts with a message otherwise.
#pragma once

#include <cxxabi.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "autograd/error.h"
#include "nn/module.h"
#include "optim/optimizer.h"

namespace trit::fuzz {

inline std::string type_name(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && name != nullptr ? name : type.name();
  std::free(name);
  return out;
}

// A per-process folder, removed when the process exits normally.
inline const std::filesystem::path& temp_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      const char* base = std::getenv("TMPDIR");
      std::string pattern = std::string(base && *base ? base : "/tmp") + "/trit-fuzz-XXXXXX";
      if (mkdtemp(pattern.data()) == nullptr) {
        std::perror("trit fuzz: mkdtemp");
        std::abort();
      }
      path = pattern;
    }
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline void write_file(const std::filesystem::path& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "trit fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

// Writes the input to temp_dir()/name and returns the path.
inline std::string input_file(const std::string& name, const uint8_t* data, size_t size) {
  const std::filesystem::path path = temp_dir() / name;
  write_file(path, data, size);
  return path.string();
}

// gzip (RFC 1952) of `data`, as gzip(1) writes it.
inline std::vector<uint8_t> gzip(const uint8_t* data, size_t size) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    std::abort();
  std::vector<uint8_t> out(deflateBound(&stream, static_cast<uLong>(size)) + 32);
  stream.next_in = const_cast<Bytef*>(data);
  stream.avail_in = static_cast<uInt>(size);
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// Runs `body`; trit::Error is the expected rejection. Returns true when `body` completed;
// otherwise the Error's message is left in *message when that is given.
template <class F>
bool expect_error(F&& body, std::string* message = nullptr) {
  try {
    body();
    return true;
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return false;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\n*** trit fuzz: uncaught %s (not trit::Error): %s\n",
                 type_name(typeid(e)).c_str(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "\n*** trit fuzz: uncaught non-std exception\n");
    std::abort();
  }
}

// The structure and bytes (NaN compares equal to itself) of a model and optionally an
// optimiser at one moment.
class Snapshot {
 public:
  Snapshot(const nn::Module& model, const optim::Optimizer* optimizer)
      : model_(model), optimizer_(optimizer) {
    take(state_);
  }
  // Aborts when the model or optimiser differs from the snapshot (a failed load changed it).
  void expect_unchanged(const char* what) const {
    std::vector<std::pair<std::string, std::string>> now;
    take(now);
    if (now == state_) return;
    std::fprintf(stderr, "\n*** trit fuzz: %s failed but changed the model or optimiser\n", what);
    std::abort();
  }

 private:
  void take(std::vector<std::pair<std::string, std::string>>& out) const {
    out.clear();
    for (const auto& [name, module] : model_.named_modules())
      out.push_back({"module " + name + " " + module->repr(), {}});
    const auto add = [&out](const std::string& prefix, const nn::StateDict& state) {
      for (const auto& [name, tensor] : state)
        out.push_back({prefix + name + " " + to_string(tensor.shape()),
                       std::string(reinterpret_cast<const char*>(tensor.data()),
                                   sizeof(float) * static_cast<size_t>(tensor.numel()))});
    };
    add("model ", model_.state_dict());
    if (optimizer_ != nullptr) add("optimizer ", optimizer_->state_dict());
  }

  const nn::Module& model_;
  const optim::Optimizer* optimizer_;
  std::vector<std::pair<std::string, std::string>> state_;
};

}  // namespace trit::fuzz
