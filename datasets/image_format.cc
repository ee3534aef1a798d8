#include "datasets/image_format.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "autograd/error.h"

namespace trit::datasets {
namespace {

constexpr uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr uint8_t kJpeg[3] = {0xFF, 0xD8, 0xFF};

uint32_t big_endian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value = value << 8 | p[i];
  return value;
}

// PNG: after the signature, chunks of [length (4), type (4), data (length), CRC (4)].
void check_png_chunks(const std::string& where, const std::vector<uint8_t>& bytes) {
  size_t at = sizeof kPng;
  while (at + 8 <= bytes.size()) {
    const uint32_t length = big_endian(&bytes[at], 4);
    const std::string type(bytes.begin() + at + 4, bytes.begin() + at + 8);
    check(length <= bytes.size() - at - 8, where,
          "corrupt PNG: chunk '" + type + "' at byte " + std::to_string(at) + " declares " +
              std::to_string(length) + " bytes, past the end of the " +
              std::to_string(bytes.size()) + "-byte file");
    if (type == "IEND") return;
    at += 12 + size_t(length);
  }
}

// SOS: [components n, n x (component id, DC table << 4 | AC table), Ss, Se, Ah << 4 | Al].
// stb decodes with the tables a scan names whether or not a DHT defined them (its tables are
// then uninitialised memory): a baseline scan uses both tables of each component, a
// progressive one its DC table in a first DC scan (Ss = 0, Ah = 0) and its AC table in an AC
// scan (Ss > 0). Each must have been defined before the scan. A segment too short for its
// fields is left to stb.
void check_scan_tables(const std::string& where, const std::string& marker, const uint8_t* scan,
                       size_t size, const bool (&defined)[2][4], bool progressive) {
  if (size < 1 || size < 1 + 2 * size_t(scan[0]) + 3) return;
  const size_t components = scan[0];
  const uint8_t ss = scan[1 + 2 * components], ah = scan[3 + 2 * components] >> 4;
  for (size_t c = 0; c < components; ++c) {
    const int dc = scan[2 + 2 * c] >> 4, ac = scan[2 + 2 * c] & 15;
    const bool uses_dc = !progressive || (ss == 0 && ah == 0);
    const bool uses_ac = !progressive || ss != 0;
    for (const auto& [used, kind, id] : {std::tuple{uses_dc, 0, dc}, std::tuple{uses_ac, 1, ac}})
      check(!used || id > 3 || defined[kind][id], where,
            "corrupt JPEG: the scan in " + marker + " decodes with " + (kind ? "AC" : "DC") +
                " Huffman table " + std::to_string(id) +
                ", which no DHT segment before it defines");
  }
}

// JPEG: after SOI, marker segments [FF, code, length (2, counting itself), data]. Between
// them stb skips any byte that is not FF (padding, and each scan's entropy-coded data, where
// an FF is always followed by 00 or a restart marker) and reads every marker it meets up to
// EOI, Huffman tables between progressive scans included. The walk does the same.
void check_jpeg_segments(const std::string& where, const std::vector<uint8_t>& bytes) {
  bool defined[2][4] = {};  // Huffman tables [DC, AC][id] a DHT defined so far
  bool progressive = false;
  size_t at = 2;
  while (at + 1 < bytes.size()) {
    const uint8_t code = bytes[at + 1];
    if (bytes[at] != 0xFF || code == 0xFF) {  // not a marker yet, or a fill byte
      ++at;
      continue;
    }
    if (code == 0xD9) return;  // end of image
    if (code == 0x00 || code == 0x01 || code == 0xD8 || (code >= 0xD0 && code <= 0xD7)) {
      at += 2;  // a stuffed FF, TEM, SOI, RSTn: no segment
      continue;
    }
    if (at + 4 > bytes.size()) return;  // truncated: stb reports it
    const size_t length = big_endian(&bytes[at + 2], 2);
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02X", code);
    const std::string marker = "segment FF" + std::string(hex) + " at byte " + std::to_string(at);
    check(length >= 2 && length <= bytes.size() - at - 2, where,
          "corrupt JPEG: " + marker + " declares " + std::to_string(length) +
              " bytes, past the end of the " + std::to_string(bytes.size()) + "-byte file");
    if (code == 0xC4) {  // DHT: tables of [class/id, 16 code counts, the codes' symbols]
      // As stb reads them: a table that starts inside the segment is read whole, its counts
      // past the segment's end included (and zeros past the file's end).
      const size_t end = at + 2 + length;
      for (size_t table = at + 4; table < end;) {
        size_t codes = 0;
        for (size_t i = table + 1; i <= table + 16 && i < bytes.size(); ++i) codes += bytes[i];
        check(codes <= 256, where,
              "corrupt JPEG: a Huffman table in " + marker + " declares " +
                  std::to_string(codes) + " codes (at most 256)");
        if ((bytes[table] >> 4) < 2 && (bytes[table] & 15) < 4)
          defined[bytes[table] >> 4][bytes[table] & 15] = true;
        table += 17 + codes;
      }
    }
    if (code == 0xC2) progressive = true;
    if (code == 0xDA)
      check_scan_tables(where, marker, bytes.data() + at + 4, length - 2, defined, progressive);
    at += 2 + length;
  }
}

}  // namespace

void check_png_or_jpeg(const std::string& where, const std::string& path,
                       const std::vector<uint8_t>& bytes) {
  const auto starts_with = [&bytes](const uint8_t* magic, size_t n) {
    return bytes.size() >= n && std::equal(magic, magic + n, bytes.begin());
  };
  const std::string file = where + ": " + path;
  if (starts_with(kPng, sizeof kPng)) return check_png_chunks(file, bytes);
  if (starts_with(kJpeg, sizeof kJpeg)) return check_jpeg_segments(file, bytes);
  std::string first;  // its first bytes in hex, "50 35 20 31"
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 4); ++i) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    first += (i ? " " : "") + std::string(hex);
  }
  throw Error(file + ": not a PNG or JPEG file (" +
              (bytes.empty() ? std::string("empty") : "it starts with " + first) +
              "); image folders hold PNG and JPEG images");
}

}  // namespace trit::datasets
