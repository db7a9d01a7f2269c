#pragma once
// A vector of floats for the row kernels, with one set of operations over two
// backends, so that each kernel is written once: AVX-512 (kLanes = 16), where
// every operation is the one intrinsic the kernels were first written in, and
// AVX2 with FMA (kLanes = 8), where it is the nearest equivalent. QKV_SIMD_VEC
// is defined when a backend exists; without one the kernels keep their
// portable scalar code.
//
// A lane Mask selects the lanes a masked operation reads or writes; memory
// under the other lanes is never touched, so a row's last partial vector may
// reach past the end of the row. Full vectors pass kFull: on AVX-512 the
// constant mask 0xFFFF, which the compiler folds into plain loads, stores and
// arithmetic; on AVX2 a type of its own that selects the plain instructions,
// since the compiler does not fold a constant mask into vmaskmovps.
//
// The 32-bit unsigned integer vector VecU32 serves counter-based random numbers
// (Philox in dropout.cpp and attention_flash.cpp). LaneWords holds one 64-bit
// word per lane, a set of bits for each lane (attention's dropout masks).

#include <cstdint>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define QKV_SIMD_VEC 1
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which trips a
// false -W(maybe-)uninitialized once inlined into OpenMP regions (GCC PR 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace qkv::kernels::simd {

#if defined(__AVX512F__)

inline constexpr int kLanes = 16;
using Vec = __m512;
using VecU32 = __m512i;
using Mask = __mmask16;
inline constexpr Mask kFull = 0xFFFF;

// The lanes [0, n) of a vector, for the tail of a row (n < kLanes).
inline Mask tail_mask(std::int64_t n) {
  return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
}
// f(lanes of a vector whose first n % kLanes lanes are used, all when n % kLanes = 0):
// one mask value serves both cases.
template <class F>
void with_last_lanes(std::int64_t n, F&& f) {
  f(n % kLanes ? tail_mask(n % kLanes) : kFull);
}
inline Mask mask_and(Mask a, Mask b) { return a & b; }
// Bit l of the result is lane l of k, and back.
inline std::uint32_t mask_bits(Mask k) { return k; }
inline Mask mask_from_bits(std::uint32_t bits) { return static_cast<Mask>(bits); }

inline Vec zero() { return _mm512_setzero_ps(); }
inline Vec set1(float x) { return _mm512_set1_ps(x); }
// Lanes outside k read as 0, or as the lanes of `rest`.
inline Vec load(const float* p, Mask k) { return _mm512_maskz_loadu_ps(k, p); }
inline Vec load(const float* p, Mask k, Vec rest) { return _mm512_mask_loadu_ps(rest, k, p); }
inline void store(float* p, Mask k, Vec v) { _mm512_mask_storeu_ps(p, k, v); }

inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm512_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
// a b + c and c - a b, rounded once.
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec fnmadd(Vec a, Vec b, Vec c) { return _mm512_fnmadd_ps(a, b, c); }
// The second operand where either is NaN.
inline Vec max(Vec a, Vec b) { return _mm512_max_ps(a, b); }
inline Vec min(Vec a, Vec b) { return _mm512_min_ps(a, b); }
// The lanes where a != b; false where either is NaN.
inline Mask not_equal(Vec a, Vec b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_OQ); }

// a + b in the lanes of k, src elsewhere.
inline Vec mask_add(Vec src, Mask k, Vec a, Vec b) { return _mm512_mask_add_ps(src, k, a, b); }
// a - b and a b in the lanes of k, 0 elsewhere.
inline Vec maskz_sub(Mask k, Vec a, Vec b) { return _mm512_maskz_sub_ps(k, a, b); }
inline Vec maskz_mul(Mask k, Vec a, Vec b) { return _mm512_maskz_mul_ps(k, a, b); }
// a in the lanes of k, 0 elsewhere.
inline Vec maskz_mov(Mask k, Vec a) { return _mm512_maskz_mov_ps(k, a); }

inline float reduce_add(Vec v) { return _mm512_reduce_add_ps(v); }
inline float reduce_max(Vec v) { return _mm512_reduce_max_ps(v); }

// To the nearest integer, ties to even.
inline Vec round(Vec v) {
  return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
// p 2^n for integral n, rounded once: through the denormals to 0 below, to inf
// above, as the exact product would round.
inline Vec mul_pow2(Vec p, Vec n) { return _mm512_scalef_ps(p, n); }

inline VecU32 set1_u32(std::uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
// 0, 1, ..., kLanes - 1.
inline VecU32 lane_index() {
  return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
inline VecU32 add_u32(VecU32 a, VecU32 b) { return _mm512_add_epi32(a, b); }
// a + b in the lanes of k, src elsewhere.
inline VecU32 mask_add_u32(VecU32 src, Mask k, VecU32 a, VecU32 b) {
  return _mm512_mask_add_epi32(src, k, a, b);
}
inline VecU32 xor_u32(VecU32 a, VecU32 b) { return _mm512_xor_si512(a, b); }
template <unsigned kBits>
VecU32 shift_right_u32(VecU32 a) {
  return _mm512_srli_epi32(a, kBits);
}
// The low and the high 32 bits of the 32 x 32 -> 64-bit products a m, lane by lane.
inline VecU32 mullo_u32(VecU32 a, std::uint32_t m) { return _mm512_mullo_epi32(a, set1_u32(m)); }
inline VecU32 mulhi_u32(VecU32 a, std::uint32_t m) {
  const __m512i vm = set1_u32(m);
  const __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, vm), 32);
  const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), vm);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}
inline Mask less_than_u32(VecU32 a, VecU32 b) { return _mm512_cmplt_epu32_mask(a, b); }
inline Mask greater_equal_u32(VecU32 a, VecU32 b) { return _mm512_cmpge_epu32_mask(a, b); }

struct LaneWords {
  __m512i lo, hi;  // the words of lanes 0..7 and 8..15
};
// The words p[0, kLanes), word l for lane l.
inline LaneWords load_lane_words(const std::uint64_t* p) {
  return {_mm512_loadu_si512(p), _mm512_loadu_si512(p + 8)};
}
// The lanes whose word has bit `bit` (< 64) set.
inline Mask test_bit(const LaneWords& w, unsigned bit) {
  const __m512i b = _mm512_set1_epi64(static_cast<long long>(std::uint64_t(1) << bit));
  return _mm512_kunpackb(_mm512_test_epi64_mask(w.hi, b), _mm512_test_epi64_mask(w.lo, b));
}

#elif defined(__AVX2__) && defined(__FMA__)

inline constexpr int kLanes = 8;
using Vec = __m256;
using VecU32 = __m256i;
// A lane is selected when all its bits are set.
using Mask = __m256i;
struct Full {};
inline constexpr Full kFull{};

namespace avx2 {
inline __m256 as_float(__m256i k) { return _mm256_castsi256_ps(k); }
inline __m256 pow2(__m256i e) {  // 2^e for e in [-126, 127]
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23));
}
}  // namespace avx2

// The lanes [0, n) of a vector, for the tail of a row (n < kLanes).
inline Mask tail_mask(std::int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
// f(lanes of a vector whose first n % kLanes lanes are used, all when n % kLanes = 0):
// a whole vector passes kFull, so that f's plain moves replace masked ones.
template <class F>
void with_last_lanes(std::int64_t n, F&& f) {
  if (n % kLanes)
    f(tail_mask(n % kLanes));
  else
    f(kFull);
}
inline Mask mask_and(Mask a, Mask b) { return _mm256_and_si256(a, b); }
// Bit l of the result is lane l of k, and back.
inline std::uint32_t mask_bits(Mask k) {
  return static_cast<std::uint32_t>(_mm256_movemask_ps(avx2::as_float(k)));
}
inline Mask mask_from_bits(std::uint32_t bits) {
  const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lane_bit),
                            lane_bit);
}

inline Vec zero() { return _mm256_setzero_ps(); }
inline Vec set1(float x) { return _mm256_set1_ps(x); }
// Lanes outside k read as 0, or as the lanes of `rest`.
inline Vec load(const float* p, Mask k) { return _mm256_maskload_ps(p, k); }
inline Vec load(const float* p, Full) { return _mm256_loadu_ps(p); }
inline Vec load(const float* p, Mask k, Vec rest) {
  return _mm256_blendv_ps(rest, _mm256_maskload_ps(p, k), avx2::as_float(k));
}
inline Vec load(const float* p, Full, Vec) { return _mm256_loadu_ps(p); }
inline void store(float* p, Mask k, Vec v) { _mm256_maskstore_ps(p, k, v); }
inline void store(float* p, Full, Vec v) { _mm256_storeu_ps(p, v); }

inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec sub(Vec a, Vec b) { return _mm256_sub_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
// a b + c and c - a b, rounded once.
inline Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec fnmadd(Vec a, Vec b, Vec c) { return _mm256_fnmadd_ps(a, b, c); }
// The second operand where either is NaN.
inline Vec max(Vec a, Vec b) { return _mm256_max_ps(a, b); }
inline Vec min(Vec a, Vec b) { return _mm256_min_ps(a, b); }
// The lanes where a != b; false where either is NaN.
inline Mask not_equal(Vec a, Vec b) {
  return _mm256_castps_si256(_mm256_cmp_ps(a, b, _CMP_NEQ_OQ));
}

// a + b in the lanes of k, src elsewhere.
inline Vec mask_add(Vec src, Mask k, Vec a, Vec b) {
  return _mm256_blendv_ps(src, add(a, b), avx2::as_float(k));
}
inline Vec mask_add(Vec, Full, Vec a, Vec b) { return add(a, b); }
// a - b and a b in the lanes of k, 0 elsewhere.
inline Vec maskz_sub(Mask k, Vec a, Vec b) { return _mm256_and_ps(avx2::as_float(k), sub(a, b)); }
inline Vec maskz_sub(Full, Vec a, Vec b) { return sub(a, b); }
inline Vec maskz_mul(Mask k, Vec a, Vec b) { return _mm256_and_ps(avx2::as_float(k), mul(a, b)); }
inline Vec maskz_mul(Full, Vec a, Vec b) { return mul(a, b); }
// a in the lanes of k, 0 elsewhere.
inline Vec maskz_mov(Mask k, Vec a) { return _mm256_and_ps(avx2::as_float(k), a); }

inline float reduce_add(Vec v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
inline float reduce_max(Vec v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

// To the nearest integer, ties to even.
inline Vec round(Vec v) {
  return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
// p 2^n for integral n in [-252, 252], rounded once as AVX-512's scalef rounds
// it, when p 2^(n/2) is a normal float (exp's p lies in [0.7, 1.5]). 2^n itself
// need not be a float, but its halves 2^h and 2^(n-h) are; p 2^h is exact, so
// only the second product rounds: through the denormals to 0, or up to inf.
// A NaN n gives garbage, but only beside a NaN p.
inline Vec mul_pow2(Vec p, Vec n) {
  const __m256i e = _mm256_cvtps_epi32(n), h = _mm256_srai_epi32(e, 1);
  return _mm256_mul_ps(_mm256_mul_ps(p, avx2::pow2(h)), avx2::pow2(_mm256_sub_epi32(e, h)));
}

inline VecU32 set1_u32(std::uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
// 0, 1, ..., kLanes - 1.
inline VecU32 lane_index() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
inline VecU32 add_u32(VecU32 a, VecU32 b) { return _mm256_add_epi32(a, b); }
// a + b in the lanes of k, src elsewhere.
inline VecU32 mask_add_u32(VecU32 src, Mask k, VecU32 a, VecU32 b) {
  return _mm256_blendv_epi8(src, add_u32(a, b), k);
}
inline VecU32 xor_u32(VecU32 a, VecU32 b) { return _mm256_xor_si256(a, b); }
template <unsigned kBits>
VecU32 shift_right_u32(VecU32 a) {
  return _mm256_srli_epi32(a, kBits);
}
// The low and the high 32 bits of the 32 x 32 -> 64-bit products a m, lane by lane.
inline VecU32 mullo_u32(VecU32 a, std::uint32_t m) { return _mm256_mullo_epi32(a, set1_u32(m)); }
inline VecU32 mulhi_u32(VecU32 a, std::uint32_t m) {
  const __m256i vm = set1_u32(m);
  const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(a, vm), 32);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), vm);
  return _mm256_blend_epi32(even, odd, 0xAA);
}
// AVX2 compares signed integers only; flipping both sign bits maps unsigned
// order onto signed order.
inline Mask less_than_u32(VecU32 a, VecU32 b) {
  const __m256i sign = _mm256_set1_epi32(static_cast<int>(0x80000000u));
  return _mm256_cmpgt_epi32(_mm256_xor_si256(b, sign), _mm256_xor_si256(a, sign));
}
inline Mask greater_equal_u32(VecU32 a, VecU32 b) {
  return _mm256_cmpeq_epi32(_mm256_max_epu32(a, b), a);
}

// The words sit in the order test_bit's shuffle wants them.
struct LaneWords {
  __m256i a, b;  // the words of lanes 0, 1, 4, 5 and of lanes 2, 3, 6, 7
};
// The words p[0, kLanes), word l for lane l.
inline LaneWords load_lane_words(const std::uint64_t* p) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 4));
  return {_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31)};
}
// The lanes whose word has bit `bit` (< 64) set: the bit is shifted to the top
// of its word, the words' high halves gathered into lanes 0..7, and their sign
// spread over each lane.
inline Mask test_bit(const LaneWords& w, unsigned bit) {
  const __m128i up = _mm_cvtsi32_si128(static_cast<int>(63 - bit));
  const __m256 top =
      _mm256_shuffle_ps(_mm256_castsi256_ps(_mm256_sll_epi64(w.a, up)),
                        _mm256_castsi256_ps(_mm256_sll_epi64(w.b, up)), _MM_SHUFFLE(3, 1, 3, 1));
  return _mm256_srai_epi32(_mm256_castps_si256(top), 31);
}

#endif

}  // namespace qkv::kernels::simd
