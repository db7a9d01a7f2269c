#include "kernels/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using testing::all_close;
using testing::random_floats;

// float32 tolerance of the fast kernels against the double-accumulating
// reference: a few float roundings of values at most 1 (softmax) or of the
// log-sum-exp (log-softmax), over rows up to 1000 wide.
constexpr double kRtol = 2e-6, kAtol = 1e-7;

using Forward = void (*)(std::int64_t, std::int64_t, const float*, float*);
using Backward = void (*)(std::int64_t, std::int64_t, const float*, const float*, float*);

void expect_forward_matches(Forward fast, Forward ref, std::int64_t rows, std::int64_t n,
                            const std::vector<float>& x, double atol) {
  std::vector<float> got(x.size()), want(x.size());
  fast(rows, n, x.data(), got.data());
  ref(rows, n, x.data(), want.data());
  EXPECT_TRUE(all_close(got, want, kRtol, atol)) << "rows " << rows << ", n " << n;
}

TEST(SoftmaxKernel, ForwardMatchesReference) {
  for (auto n : testing::kWidths)
    for (auto rows : testing::kRowCounts) {
      const auto x = random_floats(rows * n, rows * 1000 + n, -8, 8);
      expect_forward_matches(kernels::softmax_forward<float>, kernels::ref::softmax_forward<float>,
                             rows, n, x, kAtol);
      // log-softmax is x - lse: near 0 it keeps the absolute rounding of x (|x| <= 8).
      expect_forward_matches(kernels::log_softmax_forward<float>,
                             kernels::ref::log_softmax_forward<float>, rows, n, x, 1e-6);
    }
}

TEST(SoftmaxKernel, BackwardMatchesReference) {
  for (auto n : testing::kWidths)
    for (auto rows : testing::kRowCounts) {
      const auto x = random_floats(rows * n, rows * 1000 + n, -4, 4);
      const auto dy = random_floats(rows * n, rows * 1000 + n + 7);
      for (bool log : {false, true}) {
        std::vector<float> y(x.size()), got(x.size()), want(x.size());
        (log ? kernels::ref::log_softmax_forward<float>
             : kernels::ref::softmax_forward<float>)(rows, n, x.data(), y.data());
        const Backward fast =
            log ? kernels::log_softmax_backward<float> : kernels::softmax_backward<float>;
        const Backward ref =
            log ? kernels::ref::log_softmax_backward<float> : kernels::ref::softmax_backward<float>;
        fast(rows, n, y.data(), dy.data(), got.data());
        ref(rows, n, y.data(), dy.data(), want.data());
        // dx of log-softmax subtracts exp(y) * sum(dy), with sum(dy) up to ~30 here.
        EXPECT_TRUE(all_close(got, want, kRtol, log ? 2e-6 : kAtol))
            << (log ? "log_softmax" : "softmax") << " rows " << rows << ", n " << n;
      }
    }
}

TEST(SoftmaxKernel, DoubleMatchesReference) {
  const std::int64_t rows = 65, n = 63;
  const auto xf = random_floats(rows * n, 3, -8, 8);
  const std::vector<double> x(xf.begin(), xf.end()), dy(xf.rbegin(), xf.rend());
  std::vector<double> got(x.size()), want(x.size()), gx(x.size()), wx(x.size());
  kernels::softmax_forward<double>(rows, n, x.data(), got.data());
  kernels::ref::softmax_forward<double>(rows, n, x.data(), want.data());
  EXPECT_TRUE(all_close(got, want, 1e-13, 1e-15));
  kernels::softmax_backward<double>(rows, n, want.data(), dy.data(), gx.data());
  kernels::ref::softmax_backward<double>(rows, n, want.data(), dy.data(), wx.data());
  EXPECT_TRUE(all_close(gx, wx, 1e-12, 1e-14));
  kernels::log_softmax_forward<double>(rows, n, x.data(), got.data());
  kernels::ref::log_softmax_forward<double>(rows, n, x.data(), want.data());
  EXPECT_TRUE(all_close(got, want, 1e-13, 1e-14));
  kernels::log_softmax_backward<double>(rows, n, want.data(), dy.data(), gx.data());
  kernels::ref::log_softmax_backward<double>(rows, n, want.data(), dy.data(), wx.data());
  EXPECT_TRUE(all_close(gx, wx, 1e-12, 1e-13));
}

// Rows scaled to 1e4 would overflow exp without the max shift.
TEST(SoftmaxKernel, LargeMagnitudesDoNotOverflow) {
  const std::int64_t rows = 7, n = 65;
  auto x = random_floats(rows * n, 5, -1e4, 1e4);
  std::vector<float> y(x.size()), ly(x.size());
  kernels::softmax_forward<float>(rows, n, x.data(), y.data());
  kernels::log_softmax_forward<float>(rows, n, x.data(), ly.data());
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      ASSERT_TRUE(std::isfinite(y[r * n + j]) && std::isfinite(ly[r * n + j]));
      sum += y[r * n + j];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  std::vector<float> want(x.size());
  kernels::ref::log_softmax_forward<float>(rows, n, x.data(), want.data());
  EXPECT_TRUE(all_close(ly, want, 1e-6, 1e-3));
}

// -inf entries (masked keys) get weight exactly 0; a row of only -inf gives NaN
// everywhere, as torch.softmax does (masked attention must handle that row itself).
TEST(SoftmaxKernel, NegativeInfinityEntries) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const std::int64_t n = 21;
  std::vector<float> x(2 * n, kNegInf);
  for (std::int64_t j = 0; j < n; j += 3) x[j] = 0.5f * j;
  std::vector<float> y(x.size()), want(x.size()), ly(x.size());
  kernels::softmax_forward<float>(2, n, x.data(), y.data());
  kernels::ref::softmax_forward<float>(2, n, x.data(), want.data());
  EXPECT_TRUE(all_close(y, want, kRtol, kAtol));
  for (std::int64_t j = 0; j < n; ++j) {
    if (j % 3) {
      EXPECT_EQ(y[j], 0.0f);
    }
    EXPECT_TRUE(std::isnan(y[n + j]));
  }
  kernels::log_softmax_forward<float>(2, n, x.data(), ly.data());
  EXPECT_EQ(ly[1], kNegInf);
  EXPECT_TRUE(std::isnan(ly[n]));
}

TEST(SoftmaxKernel, InPlace) {
  const std::int64_t rows = 7, n = 65;
  const auto x = random_floats(rows * n, 9, -3, 3);
  std::vector<float> want(x.size()), y = x;
  kernels::softmax_forward<float>(rows, n, x.data(), want.data());
  kernels::softmax_forward<float>(rows, n, y.data(), y.data());
  EXPECT_EQ(y, want);
  const auto dy = random_floats(rows * n, 10);
  std::vector<float> want_dx(x.size()), dx = dy;
  kernels::softmax_backward<float>(rows, n, y.data(), dy.data(), want_dx.data());
  kernels::softmax_backward<float>(rows, n, y.data(), dx.data(), dx.data());
  EXPECT_EQ(dx, want_dx);
}

}  // namespace
}  // namespace qkv
