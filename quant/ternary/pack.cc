#include "quant/ternary/pack.h"

#include <cmath>
#include <string>

#include "autograd/error.h"

namespace trit::quant {
namespace {

constexpr uint8_t kInvalidCode = 0b10;

// The 2-bit field of code `col` in its row.
uint8_t field(const uint8_t* row, int64_t col) { return (row[col / 4] >> (2 * (col % 4))) & 3; }

int8_t decode(uint8_t field) { return field == 0 ? 0 : field == 1 ? 1 : -1; }

std::string position(int64_t row, int64_t col) {
  return "row " + std::to_string(row) + ", column " + std::to_string(col);
}

void check_header(int64_t rows, int64_t cols, float level, const std::string& where) {
  check(rows >= 0 && cols >= 0, where,
        "negative size [" + std::to_string(rows) + "," + std::to_string(cols) + "]");
  check(std::isfinite(level), where, "level " + std::to_string(level) + " is not finite");
}

}  // namespace

int64_t ternary_bytes_per_row(int64_t cols) { return (cols + 3) / 4; }

PackedTernary pack_ternary(const int8_t* codes, int64_t rows, int64_t cols, float level) {
  check_header(rows, cols, level, "pack_ternary");
  const int64_t row_bytes = ternary_bytes_per_row(cols);
  PackedTernary packed{rows, cols, level, std::vector<uint8_t>(size_t(rows * row_bytes), 0)};
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* row = packed.bytes.data() + r * row_bytes;
    for (int64_t c = 0; c < cols; ++c) {
      const int8_t code = codes[r * cols + c];
      if (code < -1 || code > 1)  // (the message is built only on failure)
        throw Error("pack_ternary: code " + std::to_string(code) + " at " + position(r, c) +
                    " is not -1, 0 or +1");
      row[c / 4] |= uint8_t((code & 3) << (2 * (c % 4)));  // -1 & 3 == 0b11
    }
  }
  return packed;
}

void validate_ternary(const PackedTernary& packed, const char* where) {
  check_header(packed.rows, packed.cols, packed.level, where);
  const int64_t row_bytes = ternary_bytes_per_row(packed.cols);
  check(int64_t(packed.bytes.size()) == packed.rows * row_bytes, where,
        std::to_string(packed.bytes.size()) + " bytes for [" + std::to_string(packed.rows) + "," +
            std::to_string(packed.cols) + "] codes, expected " +
            std::to_string(packed.rows * row_bytes));
  for (int64_t r = 0; r < packed.rows; ++r) {
    const uint8_t* row = packed.bytes.data() + r * row_bytes;
    for (int64_t c = 0; c < 4 * row_bytes; ++c) {
      const uint8_t code = field(row, c);
      if (code == kInvalidCode)
        throw Error(std::string(where) + ": invalid code 10 at " + position(r, c));
      if (c >= packed.cols && code != 0)
        throw Error(std::string(where) + ": non-zero padding at " + position(r, c));
    }
  }
}

std::vector<int8_t> unpack_ternary(const PackedTernary& packed) {
  validate_ternary(packed, "unpack_ternary");
  const int64_t row_bytes = ternary_bytes_per_row(packed.cols);
  std::vector<int8_t> codes(size_t(packed.rows * packed.cols));
  for (int64_t r = 0; r < packed.rows; ++r)
    for (int64_t c = 0; c < packed.cols; ++c)
      codes[size_t(r * packed.cols + c)] = decode(field(packed.bytes.data() + r * row_bytes, c));
  return codes;
}

Tensor ternary_to_float(const PackedTernary& packed) {
  const std::vector<int8_t> codes = unpack_ternary(packed);
  Tensor weights = Tensor::empty({packed.rows, packed.cols});
  for (size_t i = 0; i < codes.size(); ++i) weights.data()[i] = packed.level * float(codes[i]);
  return weights;
}

}  // namespace trit::quant
