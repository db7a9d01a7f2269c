#pragma once
// exp for the row kernels (softmax, log-softmax, cross-entropy): 16 floats at a
// time with AVX-512, one float at a time elsewhere, by the same method so both
// paths round alike. The method is Cephes' expf (S. Moshier): n = round(x /
// ln 2), r = x - n ln 2 in two parts (exact high part, small low part), e^r by a
// degree-5 polynomial on [-ln2/2, ln2/2], times 2^n. Relative error about 1e-7.
// Inputs below -104 give 0 (e^-104 is below the smallest float), above 89 give
// +inf, and NaN gives NaN.

#include <cmath>
#include <cstdint>

#ifdef __AVX512F__
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which trips a
// false -Wmaybe-uninitialized once inlined into OpenMP regions (GCC PR 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace qkv::kernels::simd {

namespace exp_constants {
inline constexpr float kLo = -104.0f;
inline constexpr float kHi = 89.0f;
inline constexpr float kLog2e = 1.44269504088896341f;
// ln 2 = kLn2Hi + kLn2Lo; kLn2Hi has few mantissa bits so n * kLn2Hi is exact.
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
// Cephes expf polynomial: e^r ~ 1 + r + r^2 (p5 r^5 + ... + p0) for |r| <= ln2/2.
inline constexpr float kP0 = 5.0000001201e-1f;
inline constexpr float kP1 = 1.6666665459e-1f;
inline constexpr float kP2 = 4.1665795894e-2f;
inline constexpr float kP3 = 8.3334519073e-3f;
inline constexpr float kP4 = 1.3981999507e-3f;
inline constexpr float kP5 = 1.9875691500e-4f;
}  // namespace exp_constants

inline float exp(float x) {
  using namespace exp_constants;
  if (std::isnan(x)) return x;
  x = x < kLo ? kLo : x > kHi ? kHi : x;
  const float n = std::nearbyint(x * kLog2e);
  float r = std::fma(n, -kLn2Hi, x);
  r = std::fma(n, -kLn2Lo, r);
  float p = kP5;
  p = std::fma(p, r, kP4);
  p = std::fma(p, r, kP3);
  p = std::fma(p, r, kP2);
  p = std::fma(p, r, kP1);
  p = std::fma(p, r, kP0);
  p = std::fma(p, r * r, r + 1.0f);
  return std::ldexp(p, static_cast<int>(n));
}

#ifdef __AVX512F__
inline __m512 exp(__m512 x) {
  using namespace exp_constants;
  // max/min return their second operand when either is NaN, so NaN passes through.
  x = _mm512_min_ps(_mm512_set1_ps(kHi), _mm512_max_ps(_mm512_set1_ps(kLo), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP5);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP0));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  // scalef multiplies by 2^n without forming 2^n, so it overflows to inf and
  // underflows through the denormals to 0 exactly as the product would.
  return _mm512_scalef_ps(p, n);
}

// The lanes [0, n) of a 16-float vector, for the tail of a row (n < 16).
inline __mmask16 tail_mask(std::int64_t n) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
}
#endif

}  // namespace qkv::kernels::simd
