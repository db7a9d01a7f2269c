#include "kernels/simd_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace qkv {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Relative error of the polynomial exp against the C library's, over the
// range softmax uses (x - max <= 0) and beyond.
TEST(SimdMath, ScalarExpIsWithinTwoUlpOfStdExp) {
  double worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    const double want = std::exp(double(x));
    worst = std::max(worst, std::abs(kernels::simd::exp(x) - want) / want);
  }
  EXPECT_LT(worst, 2.5e-7);
}

TEST(SimdMath, ScalarExpEdgeCases) {
  EXPECT_EQ(kernels::simd::exp(0.0f), 1.0f);
  EXPECT_EQ(kernels::simd::exp(-kInf), 0.0f);
  EXPECT_EQ(kernels::simd::exp(-200.0f), 0.0f);
  EXPECT_EQ(kernels::simd::exp(kInf), kInf);
  EXPECT_EQ(kernels::simd::exp(100.0f), kInf);
  EXPECT_TRUE(std::isnan(kernels::simd::exp(std::nanf(""))));
  // Just below the overflow threshold the result is finite and close.
  EXPECT_NEAR(kernels::simd::exp(88.5f) / std::exp(88.5), 1.0, 1e-6);
  // Denormal results are right to within their last place (2^-149).
  EXPECT_NEAR(kernels::simd::exp(-100.0f), std::exp(-100.0), 1.5e-45);
}

#ifdef QKV_SIMD_VEC
// The vector exp gives bit for bit the scalar one, lane by lane.
TEST(SimdMath, VectorExpMatchesScalarExp) {
  namespace simd = kernels::simd;
  using simd::kLanes;
  std::vector<float> xs;
  for (float x = -120.0f; x <= 100.0f; x += 0.0731f) xs.push_back(x);
  for (float x : {-kInf, kInf, 0.0f, -0.0f, 88.7f, -103.9f, -104.1f}) xs.push_back(x);
  xs.push_back(std::nanf(""));
  while (xs.size() % kLanes) xs.push_back(1.0f);
  for (std::size_t i = 0; i < xs.size(); i += kLanes) {
    float out[kLanes];
    simd::store(out, simd::kFull, simd::exp(simd::load(xs.data() + i, simd::kFull)));
    for (int l = 0; l < kLanes; ++l) {
      const float want = simd::exp(xs[i + l]);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(out[l]));
      else
        EXPECT_EQ(out[l], want) << "x = " << xs[i + l];
    }
  }
}
#endif

}  // namespace
}  // namespace qkv
