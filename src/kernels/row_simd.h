#pragma once
// Helpers for the AVX-512 row kernels: a row of n floats is walked 16 at a
// time, the last partial vector under a lane mask. Callers pass a lambda
// (offset, mask); in the main loop the mask is the constant 0xFFFF, which the
// compiler folds into plain loads and stores.

#include <cstdint>

#include "kernels/simd_math.h"

#ifdef __AVX512F__

namespace qkv::kernels::simd {

template <class F>
inline void for_each_vector(std::int64_t n, F&& f) {
  std::int64_t j = 0;
  for (; j + 16 <= n; j += 16) f(j, static_cast<__mmask16>(0xFFFF));
  if (j < n) f(j, tail_mask(n - j));
}

inline __m512 load(const float* p, __mmask16 k) { return _mm512_maskz_loadu_ps(k, p); }
inline void store(float* p, __mmask16 k, __m512 v) { _mm512_mask_storeu_ps(p, k, v); }

// Largest element of a row (-inf for an empty row).
inline float row_max(std::int64_t n, const float* x) {
  const __m512 neg_inf = _mm512_set1_ps(-__builtin_inff());
  __m512 m = neg_inf;
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    m = _mm512_max_ps(m, _mm512_mask_loadu_ps(neg_inf, k, x + j));
  });
  return _mm512_reduce_max_ps(m);
}

// Sum of a row.
inline float row_sum(std::int64_t n, const float* x) {
  __m512 s = _mm512_setzero_ps();
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) { s = _mm512_add_ps(s, load(x + j, k)); });
  return _mm512_reduce_add_ps(s);
}

// sum(exp(x - shift)) over a row.
inline float row_sum_exp(std::int64_t n, const float* x, float shift) {
  const __m512 vs = _mm512_set1_ps(shift);
  __m512 s = _mm512_setzero_ps();
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    s = _mm512_mask_add_ps(s, k, s, exp(_mm512_sub_ps(load(x + j, k), vs)));
  });
  return _mm512_reduce_add_ps(s);
}

}  // namespace qkv::kernels::simd

#endif
