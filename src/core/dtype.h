#pragma once
// Element types a Tensor can hold. float32 is the reference type; float64 exists
// for tight gradient checks; int64 holds token ids and labels; bf16 is storage
// for reduced-precision weights.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace qkv {

enum class DType : std::uint8_t { f32, f64, bf16, i64 };

// bfloat16 as stored: the top 16 bits of an IEEE float32.
struct bf16 {
  std::uint16_t bits = 0;
  static bf16 from_float(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFFu + ((u >> 16) & 1u);  // round to nearest even
    return bf16{static_cast<std::uint16_t>(u >> 16)};
  }
  float to_float() const {
    std::uint32_t u = std::uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

std::size_t dtype_size(DType t);
std::string_view dtype_name(DType t);
bool is_floating(DType t);

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::f32; }
template <>
constexpr DType dtype_of<double>() { return DType::f64; }
template <>
constexpr DType dtype_of<bf16>() { return DType::bf16; }
template <>
constexpr DType dtype_of<std::int64_t>() { return DType::i64; }

}  // namespace qkv
