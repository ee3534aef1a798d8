// Writing a file so that readers see either the old contents or the complete new ones.
#pragma once

#include <string>

namespace trit::nn {

// Writes `bytes` to a fresh temporary file in path's directory, flushes it to disk, then
// renames it over `path` (atomic on POSIX within one file system). On any failure the
// temporary file is removed, `path` is untouched and Error names `what` (e.g.
// "save_safetensors"), the path and the system's reason.
void write_file_atomically(const std::string& path, const std::string& bytes,
                           const std::string& what);

}  // namespace trit::nn
