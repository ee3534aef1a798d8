// Element types of stored tensors (the safetensors names) and their conversion to and from
// trit's float32. Data is little-endian.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace trit::nn {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

const char* dtype_name(DType dtype);  // "F32", "BOOL", ...
size_t dtype_size(DType dtype);       // bytes per element
std::optional<DType> dtype_from_name(const std::string& name);

// out[i] = element i of `bytes` as float, i < n. I64 past 2^24 and F64 round to nearest;
// F16 and BF16 (subnormals, infinities and NaN included) convert exactly.
void decode(DType dtype, const char* bytes, size_t n, float* out);

// Appends n values as `dtype`. Integer types and BOOL (0 or 1) need integral values in
// range; F16 and BF16 cannot be written. Otherwise throws Error("<where> as I8: ...").
void encode(DType dtype, const float* values, size_t n, const std::string& where, std::string& out);

}  // namespace trit::nn
