#include "kernels/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/creation.h"

namespace qkv {
namespace {

template <class T>
std::vector<T> random_vector(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  const Tensor t = rand({n}, -1, 1, dtype_of<T>(), gen);
  return std::vector<T>(t.data<T>(), t.data<T>() + n);
}

struct Dims {
  std::int64_t outer, n, inner;
};

// inner == 1 (row sums), inner > 1 (column sums), odd sizes, and sizes past
// the threading threshold.
const Dims kDims[] = {{1, 1, 1},     {1, 7, 1},    {3, 63, 1},  {5, 65, 1},   {2, 1000, 1},
                      {40, 1000, 1}, {1, 1, 7},    {3, 7, 63},  {2, 65, 7},   {7, 63, 65},
                      {1, 1000, 3},  {50, 17, 65}, {65, 1, 63}, {3, 1000, 40}};

// float32: the fast inner > 1 path sums in float, the oracle in double; the
// error is bounded by n * eps * sum |x|, and |x| < 1 here.
template <class T>
void sum_matches_reference() {
  for (const auto& d : kDims) {
    SCOPED_TRACE(::testing::Message()
                 << "outer=" << d.outer << " n=" << d.n << " inner=" << d.inner);
    const auto x = random_vector<T>(d.outer * d.n * d.inner, 1);
    std::vector<T> fast(d.outer * d.inner), ref(d.outer * d.inner);
    kernels::sum_dim<T>(d.outer, d.n, d.inner, x.data(), fast.data());
    kernels::ref::sum_dim<T>(d.outer, d.n, d.inner, x.data(), ref.data());
    const double tol = double(d.n) * std::numeric_limits<T>::epsilon();
    for (std::size_t i = 0; i < ref.size(); ++i)
      ASSERT_NEAR(fast[i], ref[i], tol) << "element " << i;
  }
}

TEST(ReduceKernel, SumMatchesReferenceFloat) { sum_matches_reference<float>(); }
TEST(ReduceKernel, SumMatchesReferenceDouble) { sum_matches_reference<double>(); }

TEST(ReduceKernel, SumValues) {
  // [2, 3, 2]: sums over the middle dim.
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<double> out(4);
  kernels::sum_dim<double>(2, 3, 2, x.data(), out.data());
  EXPECT_EQ(out, (std::vector<double>{9, 12, 27, 30}));
  kernels::ref::sum_dim<double>(2, 3, 2, x.data(), out.data());
  EXPECT_EQ(out, (std::vector<double>{9, 12, 27, 30}));
}

TEST(ReduceKernel, SumOfNothingIsZero) {
  // n = 0: the kernel must not read x at all.
  for (std::int64_t inner : {1, 5}) {
    std::vector<float> out(3 * inner, 42.f);
    const float* x = nullptr;
    kernels::sum_dim<float>(3, 0, inner, x, out.data());
    EXPECT_EQ(out, std::vector<float>(3 * inner, 0.f)) << "inner=" << inner;
    std::fill(out.begin(), out.end(), 42.f);
    kernels::ref::sum_dim<float>(3, 0, inner, x, out.data());
    EXPECT_EQ(out, std::vector<float>(3 * inner, 0.f)) << "inner=" << inner;
  }
}

template <class T>
void max_matches_reference() {
  for (const auto& d : kDims) {
    SCOPED_TRACE(::testing::Message()
                 << "outer=" << d.outer << " n=" << d.n << " inner=" << d.inner);
    auto x = random_vector<T>(d.outer * d.n * d.inner, 2);
    // Ties: the first maximal index wins.
    for (std::size_t i = 0; i + 3 < x.size(); i += 5) x[i + 3] = x[i];
    std::vector<T> fast(d.outer * d.inner), ref(d.outer * d.inner);
    std::vector<std::int64_t> fi(fast.size()), ri(ref.size());
    kernels::max_dim<T>(d.outer, d.n, d.inner, x.data(), fast.data(), fi.data());
    kernels::ref::max_dim<T>(d.outer, d.n, d.inner, x.data(), ref.data(), ri.data());
    EXPECT_EQ(fast, ref);
    EXPECT_EQ(fi, ri);
    // The oracle against a direct search.
    for (std::int64_t o = 0; o < d.outer; ++o)
      for (std::int64_t i = 0; i < d.inner; ++i) {
        std::int64_t best = 0;
        for (std::int64_t j = 1; j < d.n; ++j)
          if (x[(o * d.n + j) * d.inner + i] > x[(o * d.n + best) * d.inner + i]) best = j;
        ASSERT_EQ(ri[o * d.inner + i], best);
      }
    // The index may be omitted.
    std::vector<T> no_index(fast.size());
    kernels::max_dim<T>(d.outer, d.n, d.inner, x.data(), no_index.data(), nullptr);
    EXPECT_EQ(no_index, ref);
  }
}

TEST(ReduceKernel, MaxMatchesReferenceFloat) { max_matches_reference<float>(); }
TEST(ReduceKernel, MaxMatchesReferenceDouble) { max_matches_reference<double>(); }

TEST(ReduceKernel, MaxTreatsNaNAsLargest) {
  // Like torch.max: a NaN anywhere in the slice is the result, at its first position.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = INFINITY;
  // [2, 4, 2]
  const std::vector<float> x = {1,    5,    nan, 2,  3,  nan,  inf, 0,  // o = 0
                                -inf, -inf, -1,  -3, -2, -inf, -1,  -2};
  for (bool fast : {true, false}) {
    std::vector<float> out(4);
    std::vector<std::int64_t> index(4);
    if (fast)
      kernels::max_dim<float>(2, 4, 2, x.data(), out.data(), index.data());
    else
      kernels::ref::max_dim<float>(2, 4, 2, x.data(), out.data(), index.data());
    SCOPED_TRACE(fast ? "fast" : "reference");
    EXPECT_TRUE(std::isnan(out[0]));
    EXPECT_EQ(index[0], 1);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_EQ(index[1], 2);
    EXPECT_EQ(out[2], -1);
    EXPECT_EQ(index[2], 1);
    EXPECT_EQ(out[3], -2);
    EXPECT_EQ(index[3], 3);
  }
}

TEST(ReduceKernel, MaxBackwardScattersToIndex) {
  // [1, 3, 2] with maxima at rows 2 and 0.
  const std::vector<std::int64_t> index = {2, 0};
  const std::vector<double> dy = {5, 7};
  std::vector<double> dx(6, -1);
  kernels::max_dim_backward<double>(1, 3, 2, index.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0, 7, 0, 0, 5, 0}));
}

}  // namespace
}  // namespace qkv
