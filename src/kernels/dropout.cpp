#include "kernels/dropout.h"

#include <algorithm>
#include <cmath>

#include "core/philox.h"
#include "kernels/simd_vec.h"

namespace qkv::kernels {

namespace {

// The vector Philox below gives kLanes random words per call, and a block of
// as many elements is the unit of work, its mask kept as bits; without a vector
// backend a block is 16 elements.
#ifdef QKV_SIMD_VEC
constexpr std::int64_t kBlock = simd::kLanes;
#else
constexpr std::int64_t kBlock = 16;
#endif

// Drop bits of elements [i, i + count) (count <= kBlock): bit l set when
// element i + l is dropped, i.e. (r >> 8) < threshold for its Philox word r.
std::uint32_t drop_bits_scalar(std::uint64_t counter, std::uint64_t seed, std::int64_t count,
                               std::uint32_t threshold) {
  std::uint32_t bits = 0;
  for (std::int64_t l = 0; l < count; ++l)
    if ((philox4x32(counter + std::uint64_t(l), seed)[0] >> 8) < threshold) bits |= 1u << l;
  return bits;
}

#ifdef QKV_SIMD_VEC
// philox4x32's first word for the counters counter + [0, kLanes) (stream 0),
// the same rounds as core/philox.h, one counter per lane.
std::uint32_t drop_bits(std::uint64_t counter, std::uint64_t seed, std::int64_t count,
                        std::uint32_t threshold) {
  using namespace simd;
  const std::uint32_t lo = static_cast<std::uint32_t>(counter);
  // The rare block whose low words wrap around takes the scalar path.
  if (lo > 0xFFFFFFFFu - kBlock) return drop_bits_scalar(counter, seed, count, threshold);
  VecU32 c0 = add_u32(set1_u32(lo), lane_index());
  VecU32 c1 = set1_u32(static_cast<std::uint32_t>(counter >> 32));
  VecU32 c2 = set1_u32(0), c3 = set1_u32(0);
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const VecU32 hi0 = mulhi_u32(c0, 0xD2511F53u), lo0 = mullo_u32(c0, 0xD2511F53u);
    const VecU32 hi1 = mulhi_u32(c2, 0xCD9E8D57u), lo1 = mullo_u32(c2, 0xCD9E8D57u);
    c0 = xor_u32(xor_u32(hi1, c1), set1_u32(k0));
    c1 = lo1;
    c2 = xor_u32(xor_u32(hi0, c3), set1_u32(k1));
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const Mask drop = less_than_u32(shift_right_u32<8>(c0), set1_u32(threshold));
  return mask_bits(mask_and(drop, tail_mask(count)));
}

// Whole blocks load and store under kFull, as the row kernels' full vectors
// do: masked moves, issued for every block, made AVX2 dropout three times
// slower on Zen 3.
inline void apply_block(const float* x, float scale, std::uint32_t keep, std::int64_t count,
                        float* y) {
  using namespace simd;
  const auto apply = [&](auto lanes) {
    store(y, lanes, maskz_mul(mask_from_bits(keep), load(x, lanes), set1(scale)));
  };
  if (count == kBlock)
    apply(kFull);
  else
    apply(tail_mask(count));
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
    apply_block(x + i, scale, ~drop & ((1u << kBlock) - 1), count, y + i);
  }
}

template void dropout<float>(std::int64_t, const float*, double, std::uint64_t, std::uint64_t,
                             float*);
template void dropout<double>(std::int64_t, const double*, double, std::uint64_t, std::uint64_t,
                              double*);

}  // namespace qkv::kernels
