#pragma once
// Helpers for the vector row kernels: a row of n floats is walked kLanes at a
// time, the last partial vector under a lane mask. Callers pass a generic
// lambda (offset, mask); in the main loop the mask is simd::kFull, which
// becomes plain loads and stores.

#include <cstdint>

#include "kernels/simd_math.h"
#include "kernels/simd_vec.h"

#ifdef QKV_SIMD_VEC

namespace qkv::kernels::simd {

template <class F>
inline void for_each_vector(std::int64_t n, F&& f) {
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) f(j, kFull);
  if (j < n) f(j, tail_mask(n - j));
}

// Largest element of a row (-inf for an empty row).
inline float row_max(std::int64_t n, const float* x) {
  const Vec neg_inf = set1(-__builtin_inff());
  Vec m = neg_inf;
  for_each_vector(n, [&](std::int64_t j, auto k) { m = max(m, load(x + j, k, neg_inf)); });
  return reduce_max(m);
}

// Sum of a row.
inline float row_sum(std::int64_t n, const float* x) {
  Vec s = zero();
  for_each_vector(n, [&](std::int64_t j, auto k) { s = add(s, load(x + j, k)); });
  return reduce_add(s);
}

// sum(exp(x - shift)) over a row.
inline float row_sum_exp(std::int64_t n, const float* x, float shift) {
  const Vec vs = set1(shift);
  Vec s = zero();
  for_each_vector(
      n, [&](std::int64_t j, auto k) { s = mask_add(s, k, s, exp(sub(load(x + j, k), vs))); });
  return reduce_add(s);
}

}  // namespace qkv::kernels::simd

#endif
