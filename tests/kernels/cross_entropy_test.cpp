#include "kernels/cross_entropy.h"

#include <gtest/gtest.h>

#include "core/rng.h"
#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using testing::all_close;
using testing::random_floats;

constexpr std::int64_t kIgnore = -100;

// Targets in [0, c), every fifth row ignored.
std::vector<std::int64_t> random_targets(std::int64_t n, std::int64_t c, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<std::int64_t> t(n);
  for (std::int64_t i = 0; i < n; ++i)
    t[i] = i % 5 == 3 ? kIgnore : static_cast<std::int64_t>(gen.next_u64() % std::uint64_t(c));
  return t;
}

// float32 tolerances against the double-accumulating reference: the loss and
// lse carry the rounding of lse (|lse| up to ~15 here); the gradient p - target
// cancels near the target.
constexpr double kRtol = 2e-6, kLossAtol = 4e-6, kGradAtol = 2e-6;

TEST(CrossEntropyKernel, MatchesReference) {
  for (auto c : testing::kWidths)
    for (auto n : testing::kRowCounts)
      for (float smoothing : {0.0f, 0.1f}) {
        const auto x = random_floats(n * c, n * 1000 + c, -8, 8);
        const auto targets = random_targets(n, c, n + c);
        std::vector<float> loss(n), lse(n), want_loss(n), want_lse(n);
        kernels::cross_entropy_forward<float>(n, c, x.data(), targets.data(), kIgnore, smoothing,
                                              loss.data(), lse.data());
        kernels::ref::cross_entropy_forward<float>(n, c, x.data(), targets.data(), kIgnore,
                                                   smoothing, want_loss.data(), want_lse.data());
        EXPECT_TRUE(all_close(loss, want_loss, kRtol, kLossAtol)) << "n " << n << ", C " << c;
        EXPECT_TRUE(all_close(lse, want_lse, kRtol, kLossAtol)) << "n " << n << ", C " << c;

        const auto g = random_floats(n, n + 3);
        for (std::int64_t stride : {0, 1}) {
          std::vector<float> dx(n * c), want_dx(n * c);
          kernels::cross_entropy_backward<float>(n, c, x.data(), targets.data(), kIgnore, smoothing,
                                                 want_lse.data(), g.data(), stride, dx.data());
          kernels::ref::cross_entropy_backward<float>(n, c, x.data(), targets.data(), kIgnore,
                                                      smoothing, want_lse.data(), g.data(), stride,
                                                      want_dx.data());
          EXPECT_TRUE(all_close(dx, want_dx, kRtol, kGradAtol))
              << "n " << n << ", C " << c << ", stride " << stride;
        }
      }
}

TEST(CrossEntropyKernel, DoubleMatchesReference) {
  const std::int64_t n = 65, c = 63;
  const auto xf = random_floats(n * c, 1, -8, 8);
  const std::vector<double> x(xf.begin(), xf.end());
  const auto targets = random_targets(n, c, 2);
  std::vector<double> loss(n), lse(n), want_loss(n), want_lse(n), dx(n * c), want_dx(n * c);
  const double g = 0.5;
  kernels::cross_entropy_forward<double>(n, c, x.data(), targets.data(), kIgnore, 0.2, loss.data(),
                                         lse.data());
  kernels::ref::cross_entropy_forward<double>(n, c, x.data(), targets.data(), kIgnore, 0.2,
                                              want_loss.data(), want_lse.data());
  EXPECT_TRUE(all_close(loss, want_loss, 1e-13, 1e-13));
  kernels::cross_entropy_backward<double>(n, c, x.data(), targets.data(), kIgnore, 0.2, lse.data(),
                                          &g, 0, dx.data());
  kernels::ref::cross_entropy_backward<double>(n, c, x.data(), targets.data(), kIgnore, 0.2,
                                               lse.data(), &g, 0, want_dx.data());
  EXPECT_TRUE(all_close(dx, want_dx, 1e-12, 1e-14));
}

// Ignored rows: zero loss, zero gradient, whatever their logits.
TEST(CrossEntropyKernel, IgnoredRowsGiveZero) {
  const std::int64_t n = 3, c = 20;
  auto x = random_floats(n * c, 4, -1e4, 1e4);
  const std::vector<std::int64_t> targets{kIgnore, 4, kIgnore};
  std::vector<float> loss(n), lse(n), dx(n * c);
  const float g = 1;
  kernels::cross_entropy_forward<float>(n, c, x.data(), targets.data(), kIgnore, 0.1f, loss.data(),
                                        lse.data());
  kernels::cross_entropy_backward<float>(n, c, x.data(), targets.data(), kIgnore, 0.1f, lse.data(),
                                         &g, 0, dx.data());
  EXPECT_EQ(loss[0], 0.0f);
  EXPECT_EQ(loss[2], 0.0f);
  EXPECT_TRUE(std::isfinite(loss[1]));
  for (std::int64_t j = 0; j < c; ++j) {
    EXPECT_EQ(dx[j], 0.0f);
    EXPECT_EQ(dx[2 * c + j], 0.0f);
  }
}

}  // namespace
}  // namespace qkv
