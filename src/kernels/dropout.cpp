#include "kernels/dropout.h"

#include <algorithm>
#include <cmath>

#include "core/philox.h"
#include "kernels/simd_math.h"

namespace qkv::kernels {

namespace {

// Philox gives 16 random words per vector call below; a block of 16 elements
// is the unit of work.
constexpr std::int64_t kBlock = 16;

// Drop bits of elements [i, i + count) (count <= 16): bit l set when element
// i + l is dropped, i.e. (r >> 8) < threshold for its Philox word r.
std::uint32_t drop_bits_scalar(std::uint64_t counter, std::uint64_t seed, std::int64_t count,
                               std::uint32_t threshold) {
  std::uint32_t bits = 0;
  for (std::int64_t l = 0; l < count; ++l)
    if ((philox4x32(counter + std::uint64_t(l), seed)[0] >> 8) < threshold) bits |= 1u << l;
  return bits;
}

#ifdef __AVX512F__
// The high 32 bits of the 32 x 32 -> 64-bit products a * m, lane by lane.
inline __m512i mulhi_epu32(__m512i a, __m512i m) {
  const __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, m), 32);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), m);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

// philox4x32's first word for the 16 counters counter + 0..15 (stream 0), the
// same rounds as core/philox.h on 16 lanes.
__mmask16 drop_bits(std::uint64_t counter, std::uint64_t seed, std::int64_t count,
                    std::uint32_t threshold) {
  const std::uint32_t lo = static_cast<std::uint32_t>(counter);
  // The rare block whose low words wrap around takes the scalar path.
  if (lo > 0xFFFFFFFFu - kBlock) return drop_bits_scalar(counter, seed, count, threshold);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  __m512i c0 =
      _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(lo)),
                       _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  __m512i c1 = _mm512_set1_epi32(static_cast<int>(counter >> 32));
  __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m512i hi0 = mulhi_epu32(c0, m0), lo0 = _mm512_mullo_epi32(c0, m0);
    const __m512i hi1 = mulhi_epu32(c2, m1), lo1 = _mm512_mullo_epi32(c2, m1);
    c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(static_cast<int>(k0)));
    c1 = lo1;
    c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(static_cast<int>(k1)));
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const __mmask16 drop = _mm512_cmplt_epu32_mask(_mm512_srli_epi32(c0, 8),
                                                 _mm512_set1_epi32(static_cast<int>(threshold)));
  return drop & simd::tail_mask(count);
}

inline void apply_block(const float* x, float scale, __mmask16 keep, std::int64_t count, float* y) {
  const __mmask16 lanes = simd::tail_mask(count);
  const __m512 v = _mm512_maskz_loadu_ps(lanes, x);
  _mm512_mask_storeu_ps(y, lanes, _mm512_maskz_mul_ps(keep, v, _mm512_set1_ps(scale)));
}
#else
std::uint32_t drop_bits(std::uint64_t counter, std::uint64_t seed, std::int64_t count,
                        std::uint32_t threshold) {
  return drop_bits_scalar(counter, seed, count, threshold);
}

inline void apply_block(const float* x, float scale, std::uint32_t keep, std::int64_t count,
                        float* y) {
  for (std::int64_t l = 0; l < count; ++l) y[l] = (keep >> l) & 1 ? x[l] * scale : 0.0f;
}
#endif

inline void apply_block(const double* x, double scale, std::uint32_t keep, std::int64_t count,
                        double* y) {
  for (std::int64_t l = 0; l < count; ++l) y[l] = (keep >> l) & 1 ? x[l] * scale : 0.0;
}

}  // namespace

template <class T>
void dropout(std::int64_t n, const T* x, double p, std::uint64_t seed, std::uint64_t offset, T* y) {
  // u = (r >> 8) / 2^24 < p exactly when the integer r >> 8 < ceil(p 2^24).
  const std::uint32_t threshold = static_cast<std::uint32_t>(std::ceil(p * 16777216.0));
  const T scale = static_cast<T>(1 / (1 - p));
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (n > 16384)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t i = b * kBlock, count = std::min(kBlock, n - i);
    const std::uint32_t drop = drop_bits(offset + std::uint64_t(i), seed, count, threshold);
    apply_block(x + i, scale, ~drop & 0xFFFFu, count, y + i);
  }
}

template void dropout<float>(std::int64_t, const float*, double, std::uint64_t, std::uint64_t,
                             float*);
template void dropout<double>(std::int64_t, const double*, double, std::uint64_t, std::uint64_t,
                              double*);

}  // namespace qkv::kernels
