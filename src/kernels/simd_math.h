#pragma once
// exp for the row kernels (softmax, log-softmax, cross-entropy): a vector of
// floats at a time where simd_vec.h has a backend, one float at a time
// elsewhere, by the same method so both paths round alike. The method is
// Cephes' expf (S. Moshier): n = round(x / ln 2), r = x - n ln 2 in two parts
// (exact high part, small low part), e^r by a degree-5 polynomial on
// [-ln2/2, ln2/2], times 2^n. Relative error about 1e-7. Inputs below -104 give
// 0 (e^-104 is below the smallest float), above 89 give +inf, and NaN gives NaN.

#include <cmath>

#include "kernels/simd_vec.h"

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

#ifdef QKV_SIMD_VEC
inline Vec exp(Vec x) {
  using namespace exp_constants;
  // max/min return their second operand when either is NaN, so NaN passes through.
  x = min(set1(kHi), max(set1(kLo), x));
  const Vec n = round(mul(x, set1(kLog2e)));
  Vec r = fnmadd(n, set1(kLn2Hi), x);
  r = fnmadd(n, set1(kLn2Lo), r);
  Vec p = set1(kP5);
  p = fmadd(p, r, set1(kP4));
  p = fmadd(p, r, set1(kP3));
  p = fmadd(p, r, set1(kP2));
  p = fmadd(p, r, set1(kP1));
  p = fmadd(p, r, set1(kP0));
  p = fmadd(p, mul(r, r), add(r, set1(1.0f)));
  // Multiplying by 2^n without forming 2^n overflows to inf and underflows
  // through the denormals to 0 exactly as the product would.
  return mul_pow2(p, n);
}
#endif

}  // namespace qkv::kernels::simd
