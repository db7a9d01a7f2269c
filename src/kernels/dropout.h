#pragma once
// Inverted dropout with a counter-based mask: element i is dropped when
//   uint_to_unit_float(philox4x32(offset + i, seed)[0]) < p
// and otherwise scaled by 1 / (1 - p). The mask is a pure function of
// (seed, offset + i), so the backward regenerates it instead of storing it,
// and threads need no shared state. 0 <= p < 1 (the op checks).

#include <cstdint>

namespace qkv::kernels {

// y = mask(x) for x [n]; the backward is the same call on dy.
template <class T>
void dropout(std::int64_t n, const T* x, double p, std::uint64_t seed, std::uint64_t offset, T* y);

namespace ref {
template <class T>
void dropout(std::int64_t n, const T* x, double p, std::uint64_t seed, std::uint64_t offset, T* y);
}  // namespace ref

}  // namespace qkv::kernels
