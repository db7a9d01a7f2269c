#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011): a counter-based generator. The value at counter c under key k is a
// pure function of (k, c), so any thread, and a backward pass, can regenerate
// the random number of any element without shared state.

#include <array>
#include <cstdint>

namespace qkv {

inline std::array<std::uint32_t, 4> philox4x32(std::uint64_t counter, std::uint64_t key,
                                               std::uint64_t stream = 0) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  std::uint32_t c0 = static_cast<std::uint32_t>(counter), c1 = static_cast<std::uint32_t>(counter >> 32);
  std::uint32_t c2 = static_cast<std::uint32_t>(stream), c3 = static_cast<std::uint32_t>(stream >> 32);
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t(kM0) * c0, p1 = std::uint64_t(kM1) * c2;
    c0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    c1 = static_cast<std::uint32_t>(p1);
    c2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c3 = static_cast<std::uint32_t>(p0);
    k0 += kW0;
    k1 += kW1;
  }
  return {c0, c1, c2, c3};
}

// A uniform float in [0, 1) from 24 random bits.
inline float uint_to_unit_float(std::uint32_t x) { return (x >> 8) * (1.0f / 16777216.0f); }
// A uniform double in [0, 1) from 53 random bits.
inline double uints_to_unit_double(std::uint32_t hi, std::uint32_t lo) {
  return ((std::uint64_t(hi) << 21) ^ (lo >> 11)) * (1.0 / 9007199254740992.0);
}

}  // namespace qkv
