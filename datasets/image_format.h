// What an image file must be before stb_image decodes it (datasets/image_folder.cc).
//
// stb_image picks its decoder from the content, not the file name, and the copy Debian ships
// (libstb 0.0~git20220908) trusts some header fields. fuzz/fuzz_image.cc found, with hostile
// files in an image folder: a 16-bit PGM that makes its PNM decoder read out of bounds; a
// JPEG Huffman table (DHT) declaring more than 256 codes, which overruns stb's table; a JPEG
// scan decoding with a Huffman table no DHT defined, which stb reads uninitialised; and a
// PNG chunk declaring 2 GiB in a 91-byte file, which stb allocates before reading. So:
//
// Contract: check_png_or_jpeg(where, path, bytes) returns when `bytes` is a PNG (signature,
// then chunks whose declared lengths fit in the file) or a JPEG (SOI, then marker segments
// whose lengths fit, found as stb finds them, between scans too, every DHT table with at most
// 256 codes, every Huffman table a scan decodes with defined before it); otherwise it throws
// trit::Error "WHERE: PATH: not a PNG or JPEG file (it starts with 50 35 20 31); ..." or
// "WHERE: PATH: corrupt PNG|JPEG: ..." naming the offending chunk or segment. It does not
// decode: a file that passes may still fail in stb, which then says why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::datasets {

void check_png_or_jpeg(const std::string& where, const std::string& path,
                       const std::vector<uint8_t>& bytes);

}  // namespace trit::datasets
