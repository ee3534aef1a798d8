// Whole-file reads for the dataset loaders.
//
// Contract: both functions return every byte of the file (inflated for gzip) or throw
// trit::Error "<where>: <path>: <reason>" when the path is missing, not a regular file,
// unreadable, or (gzip) corrupt or truncated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::datasets {

std::vector<uint8_t> read_file(const std::string& path, const std::string& where);

// Reads a file that may be gzip-compressed (zlib's gzread: plain files pass through).
std::vector<uint8_t> read_maybe_gzip(const std::string& path, const std::string& where);

// dir/name if it is a regular file, else dir/name.gz if that is one, else "".
std::string find_plain_or_gz(const std::string& dir, const std::string& name);

}  // namespace trit::datasets
