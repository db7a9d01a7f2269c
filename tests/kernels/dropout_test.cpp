#include "kernels/dropout.h"

#include <gtest/gtest.h>

#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using testing::random_floats;

// The vector Philox must give exactly the scalar one's mask, including blocks
// whose counters carry into the high word (offset near 2^32).
TEST(DropoutKernel, MatchesReferenceExactly) {
  for (std::int64_t n : {1, 7, 8, 9, 16, 17, 63, 65, 1000, 100003})
    for (std::uint64_t offset : {std::uint64_t(0), std::uint64_t(5), std::uint64_t(0xFFFFFFF9u),
                                 std::uint64_t(0x1234567800000000ull)})
      for (double p : {0.1, 0.5, 0.9}) {
        const auto x = random_floats(n, n);
        std::vector<float> y(n), want(n);
        kernels::dropout<float>(n, x.data(), p, 77, offset, y.data());
        kernels::ref::dropout<float>(n, x.data(), p, 77, offset, want.data());
        EXPECT_EQ(y, want) << "n " << n << ", offset " << offset << ", p " << p;
      }
}

TEST(DropoutKernel, DoubleMatchesReferenceExactly) {
  const std::int64_t n = 1000;
  const auto xf = random_floats(n, 1);
  const std::vector<double> x(xf.begin(), xf.end());
  std::vector<double> y(n), want(n);
  kernels::dropout<double>(n, x.data(), 0.25, 3, 11, y.data());
  kernels::ref::dropout<double>(n, x.data(), 0.25, 3, 11, want.data());
  EXPECT_EQ(y, want);
}

// Element i's fate depends on offset + i only: a shifted call sees the same mask, shifted.
TEST(DropoutKernel, MaskIsAFunctionOfTheCounter) {
  const std::int64_t n = 200;
  const std::vector<float> ones(n, 1.0f);
  std::vector<float> a(n), b(n);
  kernels::dropout<float>(n, ones.data(), 0.5, 9, 100, a.data());
  kernels::dropout<float>(n, ones.data(), 0.5, 9, 150, b.data());
  for (std::int64_t i = 0; i + 50 < n; ++i) EXPECT_EQ(a[i + 50], b[i]);
}

}  // namespace
}  // namespace qkv
