#include "nn/dtype.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "autograd/error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "stored tensors are little-endian; this file copies bytes as they are in memory");

namespace trit::nn {
namespace {

template <class T>
T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

float from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

float half_to_float(const char* p) {
  const uint16_t h = load<uint16_t>(p);
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return from_bits(exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                  : sign | ((exponent + 112) << 23) | (mantissa << 13));
}

float bf16_to_float(const char* p) {
  return from_bits(static_cast<uint32_t>(load<uint16_t>(p)) << 16);
}

float bool_to_float(const char* p) { return p[0] != 0 ? 1.0f : 0.0f; }

template <class T>
float to_float(const char* p) {
  return static_cast<float>(load<T>(p));
}

template <class T>
void append_as(const float* values, size_t n, const std::string& at, std::string& out) {
  for (size_t i = 0; i < n; ++i) {
    if constexpr (std::is_integral_v<T>) {
      const double v = values[i];
      check(std::nearbyint(v) == v && v >= static_cast<double>(std::numeric_limits<T>::min()) &&
                v < static_cast<double>(std::numeric_limits<T>::max()) + 1.0,
            at, "value " + std::to_string(values[i]) + " is not representable");
    }
    const T x = static_cast<T>(values[i]);
    out.append(reinterpret_cast<const char*>(&x), sizeof(T));
  }
}

struct Codec {
  DType dtype;
  const char* name;
  size_t size;
  float (*read)(const char*);
  void (*append)(const float*, size_t, const std::string&, std::string&);  // null: read-only
};

const Codec kCodecs[] = {
    {DType::kF64, "F64", 8, to_float<double>, append_as<double>},
    {DType::kF32, "F32", 4, to_float<float>, append_as<float>},
    {DType::kF16, "F16", 2, half_to_float, nullptr},
    {DType::kBF16, "BF16", 2, bf16_to_float, nullptr},
    {DType::kI64, "I64", 8, to_float<int64_t>, append_as<int64_t>},
    {DType::kI32, "I32", 4, to_float<int32_t>, append_as<int32_t>},
    {DType::kI16, "I16", 2, to_float<int16_t>, append_as<int16_t>},
    {DType::kI8, "I8", 1, to_float<int8_t>, append_as<int8_t>},
    {DType::kU8, "U8", 1, to_float<uint8_t>, append_as<uint8_t>},
    {DType::kBool, "BOOL", 1, bool_to_float, append_as<bool>},
};

const Codec& codec(DType dtype) {
  for (const Codec& c : kCodecs)
    if (c.dtype == dtype) return c;
  throw Error("dtype: unknown DType value " + std::to_string(static_cast<int>(dtype)));
}

}  // namespace

const char* dtype_name(DType dtype) { return codec(dtype).name; }
size_t dtype_size(DType dtype) { return codec(dtype).size; }

std::optional<DType> dtype_from_name(const std::string& name) {
  for (const Codec& c : kCodecs)
    if (name == c.name) return c.dtype;
  return std::nullopt;
}

void decode(DType dtype, const char* bytes, size_t n, float* out) {
  const Codec& c = codec(dtype);
  if (dtype == DType::kF32) {
    if (n > 0) std::memcpy(out, bytes, n * 4);  // an empty tensor's data() may be null
    return;
  }
  for (size_t i = 0; i < n; ++i) out[i] = c.read(bytes + i * c.size);
}

void encode(DType dtype, const float* values, size_t n, const std::string& where,
            std::string& out) {
  const Codec& c = codec(dtype);
  const std::string at = where + " as " + c.name;
  check(c.append != nullptr, at, "writing this dtype is not supported");
  c.append(values, n, at, out);
}

}  // namespace trit::nn
