#include "kernels/simd_vec.h"

#include <gtest/gtest.h>

#ifdef QKV_SIMD_VEC

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace qkv {
namespace {

namespace simd = kernels::simd;
using simd::kLanes;

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> lanes_of(simd::Vec v) {
  std::vector<float> out(kLanes);
  simd::store(out.data(), simd::kFull, v);
  return out;
}

std::vector<std::uint32_t> lanes_of(simd::VecU32 v) {
  std::vector<std::uint32_t> out(kLanes);
  std::memcpy(out.data(), &v, sizeof v);
  return out;
}

simd::VecU32 vec_u32(const std::uint32_t* lanes) {
  simd::VecU32 v;
  std::memcpy(&v, lanes, sizeof v);
  return v;
}

// Equal, or both NaN.
bool same(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

std::vector<float> iota(float first) {
  std::vector<float> v(kLanes);
  for (int l = 0; l < kLanes; ++l) v[l] = first + float(l);
  return v;
}

TEST(SimdVec, TailLoadsReadTheirLanesOnly) {
  const std::vector<float> src = iota(1);
  for (int n = 0; n < kLanes; ++n) {
    const auto zeros = lanes_of(simd::load(src.data(), simd::tail_mask(n)));
    const auto rest = lanes_of(simd::load(src.data(), simd::tail_mask(n), simd::set1(-7)));
    for (int l = 0; l < kLanes; ++l) {
      EXPECT_EQ(zeros[l], l < n ? src[l] : 0.0f) << "n " << n << ", lane " << l;
      EXPECT_EQ(rest[l], l < n ? src[l] : -7.0f) << "n " << n << ", lane " << l;
    }
  }
  EXPECT_EQ(lanes_of(simd::load(src.data(), simd::kFull)), src);
  EXPECT_EQ(lanes_of(simd::load(src.data(), simd::kFull, simd::set1(-7))), src);
}

TEST(SimdVec, TailStoresWriteTheirLanesOnly) {
  const std::vector<float> src = iota(1);
  for (int n = 0; n < kLanes; ++n) {
    std::vector<float> dst(kLanes, -1.0f);
    simd::store(dst.data(), simd::tail_mask(n), simd::load(src.data(), simd::kFull));
    for (int l = 0; l < kLanes; ++l) EXPECT_EQ(dst[l], l < n ? src[l] : -1.0f) << "n " << n;
  }
}

// A row's last vector may reach past the end of its memory: the lanes outside
// the mask must not be touched, even when they lie in an unmapped page.
TEST(SimdVec, TailsDoNotFaultPastTheEndOfMemory) {
  const long page = sysconf(_SC_PAGESIZE);
  void* map = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  ASSERT_EQ(mprotect(static_cast<char*>(map) + page, page, PROT_NONE), 0);
  float* end = reinterpret_cast<float*>(static_cast<char*>(map) + page);
  for (int n = 1; n < kLanes; ++n) {
    float* p = end - n;
    for (int l = 0; l < n; ++l) p[l] = float(l);
    const simd::Vec v = simd::load(p, simd::tail_mask(n));
    simd::store(p, simd::tail_mask(n), simd::add(v, simd::set1(1)));
    simd::store(p, simd::tail_mask(n), simd::load(p, simd::tail_mask(n), simd::zero()));
    for (int l = 0; l < n; ++l) EXPECT_EQ(p[l], float(l + 1));
  }
  munmap(map, 2 * page);
}

// Masked-off lanes are exactly src or 0, whatever the arithmetic would give there.
TEST(SimdVec, MaskedArithmetic) {
  std::vector<float> a = iota(1), b = iota(0.5f);
  a[kLanes - 1] = kInf;
  b[kLanes - 2] = std::nanf("");
  const simd::Vec va = simd::load(a.data(), simd::kFull), vb = simd::load(b.data(), simd::kFull);
  const simd::Vec src = simd::set1(-3);
  for (int n = 0; n < kLanes; ++n) {
    const simd::Mask k = simd::tail_mask(n);
    const auto added = lanes_of(simd::mask_add(src, k, va, vb));
    const auto subbed = lanes_of(simd::maskz_sub(k, va, vb));
    const auto multiplied = lanes_of(simd::maskz_mul(k, va, vb));
    for (int l = 0; l < kLanes; ++l) {
      if (l < n) {
        EXPECT_TRUE(same(added[l], a[l] + b[l]));
        EXPECT_TRUE(same(subbed[l], a[l] - b[l]));
        EXPECT_TRUE(same(multiplied[l], a[l] * b[l]));
      } else {
        EXPECT_EQ(added[l], -3.0f) << "n " << n << ", lane " << l;
        EXPECT_EQ(subbed[l], 0.0f) << "n " << n << ", lane " << l;
        EXPECT_EQ(multiplied[l], 0.0f) << "n " << n << ", lane " << l;
      }
    }
  }
  const auto added = lanes_of(simd::mask_add(src, simd::kFull, va, vb));
  const auto subbed = lanes_of(simd::maskz_sub(simd::kFull, va, vb));
  const auto multiplied = lanes_of(simd::maskz_mul(simd::kFull, va, vb));
  for (int l = 0; l < kLanes; ++l) {
    EXPECT_TRUE(same(added[l], a[l] + b[l]));
    EXPECT_TRUE(same(subbed[l], a[l] - b[l]));
    EXPECT_TRUE(same(multiplied[l], a[l] * b[l]));
  }
}

TEST(SimdVec, ArithmeticLaneByLane) {
  const std::vector<float> a = iota(-3.25f), b = iota(0.5f), c = iota(7);
  const simd::Vec va = simd::load(a.data(), simd::kFull), vb = simd::load(b.data(), simd::kFull),
                  vc = simd::load(c.data(), simd::kFull);
  const auto sum = lanes_of(simd::add(va, vb)), diff = lanes_of(simd::sub(va, vb)),
             prod = lanes_of(simd::mul(va, vb)), fma = lanes_of(simd::fmadd(va, vb, vc)),
             fnma = lanes_of(simd::fnmadd(va, vb, vc)), hi = lanes_of(simd::max(va, vb)),
             lo = lanes_of(simd::min(va, vb));
  for (int l = 0; l < kLanes; ++l) {
    EXPECT_EQ(sum[l], a[l] + b[l]);
    EXPECT_EQ(diff[l], a[l] - b[l]);
    EXPECT_EQ(prod[l], a[l] * b[l]);
    EXPECT_EQ(fma[l], std::fma(a[l], b[l], c[l]));
    EXPECT_EQ(fnma[l], std::fma(-a[l], b[l], c[l]));
    EXPECT_EQ(hi[l], std::max(a[l], b[l]));
    EXPECT_EQ(lo[l], std::min(a[l], b[l]));
  }
  // NaN in either operand gives the second operand.
  const simd::Vec nan = simd::set1(std::nanf(""));
  EXPECT_EQ(lanes_of(simd::max(nan, vb)), b);
  EXPECT_TRUE(std::isnan(lanes_of(simd::min(va, nan))[0]));
}

TEST(SimdVec, Reductions) {
  std::vector<float> x(kLanes);
  for (int l = 0; l < kLanes; ++l) x[l] = std::ldexp(1.0f, l);  // every sum order is exact
  x[3] = -kInf;
  const simd::Vec v = simd::load(x.data(), simd::kFull);
  EXPECT_EQ(simd::reduce_add(simd::set1(0.5f)), 0.5f * kLanes);
  EXPECT_EQ(simd::reduce_max(v), std::ldexp(1.0f, kLanes - 1));
  EXPECT_EQ(simd::reduce_add(v), -kInf);
  x[3] = 8.0f;
  double want = 0;
  for (float f : x) want += f;
  EXPECT_EQ(simd::reduce_add(simd::load(x.data(), simd::kFull)), float(want));
  EXPECT_EQ(simd::reduce_max(simd::load(x.data(), simd::tail_mask(1), simd::set1(-kInf))), 1.0f);
}

TEST(SimdVec, RoundsHalfwayCasesToEven) {
  const float in[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.49999f, -7.0f};
  const float want[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f, 2.0f, -7.0f};
  for (int i = 0; i < 8; ++i) {
    const float got = lanes_of(simd::round(simd::set1(in[i])))[0];
    EXPECT_EQ(got, want[i]) << in[i];
    EXPECT_EQ(std::signbit(got), std::signbit(want[i])) << in[i];
  }
}

// p 2^n is rounded once, like ldexp, over the whole range exp needs: results
// that overflow, that are denormal, and that round to 0.
TEST(SimdVec, MulPow2RoundsOnceLikeLdexp) {
  const float ps[] = {0.7f, 0.75f, 0.9999999f, 1.0f, 1.0000001f, 1.2345678f, 1.41f, 1.5f};
  for (float p : ps)
    for (int n = -160; n <= 130; ++n) {
      const float got = lanes_of(simd::mul_pow2(simd::set1(p), simd::set1(float(n))))[0];
      EXPECT_EQ(got, std::ldexp(p, n)) << "p " << p << ", n " << n;
    }
  EXPECT_TRUE(std::isnan(
      lanes_of(simd::mul_pow2(simd::set1(std::nanf("")), simd::set1(std::nanf(""))))[0]));
}

TEST(SimdVec, MaskBits) {
  for (int n = 0; n < kLanes; ++n)
    EXPECT_EQ(simd::mask_bits(simd::tail_mask(n)), (1u << n) - 1) << n;
  for (std::uint32_t bits = 0; bits < (1u << kLanes); bits += 37) {
    EXPECT_EQ(simd::mask_bits(simd::mask_from_bits(bits)), bits);
    EXPECT_EQ(simd::mask_bits(simd::mask_and(simd::mask_from_bits(bits), simd::tail_mask(5))),
              bits & 31u);
  }
  const std::vector<float> one(kLanes, 1.0f);
  const auto kept = lanes_of(simd::maskz_mul(simd::mask_from_bits(0b101u),
                                             simd::load(one.data(), simd::kFull), simd::set1(2)));
  EXPECT_EQ(kept[0], 2.0f);
  EXPECT_EQ(kept[1], 0.0f);
  EXPECT_EQ(kept[2], 2.0f);
}

TEST(SimdVec, UnsignedIntegersLaneByLane) {
  std::vector<std::uint32_t> a(kLanes), b(kLanes);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (int l = 0; l < kLanes; ++l) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    a[l] = static_cast<std::uint32_t>(state >> 32);
    b[l] = static_cast<std::uint32_t>(state);
  }
  a[0] = 0xFFFFFFFFu;  // both sides of 2^31, for the unsigned compare
  b[0] = 0x7FFFFFFFu;
  a[1] = 0x7FFFFFFFu;
  b[1] = 0x80000000u;
  a[2] = b[2];
  const std::uint32_t m = 0xD2511F53u;
  const simd::VecU32 va = vec_u32(a.data()), vb = vec_u32(b.data());
  const auto index = lanes_of(simd::lane_index()), sum = lanes_of(simd::add_u32(va, vb)),
             x = lanes_of(simd::xor_u32(va, vb)), shifted = lanes_of(simd::shift_right_u32<8>(va)),
             lo = lanes_of(simd::mullo_u32(va, m)), hi = lanes_of(simd::mulhi_u32(va, m)),
             broadcast = lanes_of(simd::set1_u32(0xCAFEF00Du));
  const std::uint32_t less = simd::mask_bits(simd::less_than_u32(va, vb));
  for (int l = 0; l < kLanes; ++l) {
    EXPECT_EQ(index[l], std::uint32_t(l));
    EXPECT_EQ(broadcast[l], 0xCAFEF00Du);
    EXPECT_EQ(sum[l], a[l] + b[l]);
    EXPECT_EQ(x[l], a[l] ^ b[l]);
    EXPECT_EQ(shifted[l], a[l] >> 8);
    EXPECT_EQ(lo[l], static_cast<std::uint32_t>(std::uint64_t(a[l]) * m));
    EXPECT_EQ(hi[l], static_cast<std::uint32_t>((std::uint64_t(a[l]) * m) >> 32));
    EXPECT_EQ((less >> l) & 1, a[l] < b[l] ? 1u : 0u) << a[l] << " < " << b[l];
  }
}

}  // namespace
}  // namespace qkv

#endif
