#include "datasets/file_io.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "autograd/error.h"

namespace trit::datasets {
namespace fs = std::filesystem;

namespace {

void check_regular_file(const std::string& path, const std::string& where) {
  std::error_code error;
  check(fs::exists(path, error), where, path + ": no such file");
  check(fs::is_regular_file(path, error), where, path + ": not a regular file");
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path, const std::string& where) {
  check_regular_file(path, where);
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  check(in.good(), where, path + ": cannot open for reading");
  std::vector<uint8_t> bytes(static_cast<size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  check(in.good() || bytes.empty(), where, path + ": read error");
  return bytes;
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path, const std::string& where) {
  check_regular_file(path, where);
  gzFile file = gzopen(path.c_str(), "rb");
  check(file != nullptr, where, path + ": cannot open for reading");
  gzbuffer(file, 1 << 18);
  std::vector<uint8_t> bytes;
  // gzread returns -1 on corrupt data, but on a truncated stream it returns the partial
  // data and then 0, leaving Z_BUF_ERROR for gzerror (zlib.h); both are errors here.
  int code = Z_OK;
  for (;;) {
    // Read chunks that grow with the data (64 KiB to 16 MiB): a small file costs little
    // (resize zero-fills), a 47 MB MNIST file a dozen reads.
    const size_t used = bytes.size();
    const size_t chunk = std::clamp<size_t>(used, size_t{1} << 16, size_t{1} << 24);
    bytes.resize(used + chunk);
    const int got = gzread(file, bytes.data() + used, static_cast<unsigned>(chunk));
    bytes.resize(used + static_cast<size_t>(got > 0 ? got : 0));
    if (got <= 0) break;
  }
  const std::string reason = gzerror(file, &code);
  if (code != Z_OK) {
    gzclose(file);
    throw Error(where + ": " + path + ": gzip data is corrupt or truncated after " +
                std::to_string(bytes.size()) + " bytes (zlib: " + reason + ")");
  }
  gzclose(file);
  return bytes;
}

std::string find_plain_or_gz(const std::string& dir, const std::string& name) {
  std::error_code error;
  for (const std::string& candidate : {name, name + ".gz"}) {
    const fs::path path = fs::path(dir) / candidate;
    if (fs::is_regular_file(path, error)) return path.string();
  }
  return "";
}

}  // namespace trit::datasets
