// PackedTernary: a ternary weight layer stored in 2 bits per weight (shared/spec/vnq.md §5).
//
// Format (the one trit writes in checkpoints and the inference kernels read)
// - The layer is a [rows, cols] matrix of codes c in {-1, 0, +1} and one float `level` a;
//   the weight is a * c. A row is one output unit, as PyTorch's [out, in] layout; conv
//   weights [out, in, kh, kw] are flattened to [out, in * kh * kw] (row-major, unchanged).
// - Rows are stored one after the other, each in ternary_bytes_per_row(cols) = ceil(cols / 4)
//   bytes (padded to whole bytes), so bytes.size() == rows * ternary_bytes_per_row(cols).
// - Code j of a row lives in byte j / 4 at bits [2 (j % 4), 2 (j % 4) + 1]: the first code
//   of a byte in its two lowest bits. 00 = 0, 01 = +1, 11 = -1 (two's complement); 10 is
//   invalid. The padding codes after a row's last column are 00.
// Example: codes {+1, 0, -1, +1, -1} -> bytes {0b01'11'00'01, 0b00'00'00'11} = {0x71, 0x03}.
//
// 2 bits per weight is 16x smaller than float32 (plus the row padding and one level).
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/tensor.h"

namespace trit::quant {

struct PackedTernary {
  int64_t rows = 0, cols = 0;
  float level = 0.0f;  // the weight of code +1 (spec §5: a_l)
  std::vector<uint8_t> bytes;
};

// Bytes one row of `cols` codes takes: ceil(cols / 4).
int64_t ternary_bytes_per_row(int64_t cols);

// Packs row-major codes[rows * cols] (each -1, 0 or +1). Throws "pack_ternary: ..." when a
// code is out of range (naming its row and column), a size is negative or level is not finite.
PackedTernary pack_ternary(const int8_t* codes, int64_t rows, int64_t cols, float level);

// The codes back, row-major [rows * cols]; validates first (as validate_ternary).
std::vector<int8_t> unpack_ternary(const PackedTernary& packed);

// The float weights level * code as a [rows, cols] tensor (tests, the float reference path).
Tensor ternary_to_float(const PackedTernary& packed);

// Checks a packed layer read from outside (a checkpoint): sizes non-negative, level finite,
// bytes.size() == rows * ternary_bytes_per_row(cols), no invalid code 10, zero padding.
// Throws trit::Error "<where>: ..." naming the first bad row and column.
void validate_ternary(const PackedTernary& packed, const char* where = "validate_ternary");

}  // namespace trit::quant
