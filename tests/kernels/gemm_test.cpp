#include "kernels/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/creation.h"

namespace qkv {
namespace {

// Random values in [-1, 1) as a plain vector.
template <class T>
std::vector<T> random_vector(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  const Tensor t = rand({n}, -1, 1, dtype_of<T>(), gen);
  return std::vector<T>(t.data<T>(), t.data<T>() + n);
}

template <class T>
std::vector<T> abs_of(std::vector<T> v) {
  for (T& x : v) x = std::abs(x);
  return v;
}

// float32: BLAS sums k products in float with its own blocking, the oracle in
// double; rounding errors grow like sqrt(k) for random signs, so the bound is
// relative 1e-5 * sqrt(k) of the sum of |terms|. float64: 1e-13 * sqrt(k).
template <class T>
double tolerance(std::int64_t k) {
  const double base = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  return base * std::sqrt(double(std::max<std::int64_t>(k, 1)));
}

struct Case {
  bool ta, tb;
  std::int64_t m, n, k;
  std::int64_t pad = 0;  // extra elements per row: leading dims larger than the row
  double alpha = 1, beta = 0;
  kernels::GemmBatch batch{};
};

// Runs one case through kernels::gemm and kernels::ref::gemm and compares
// every element of C (including the padding, which must stay untouched).
template <class T>
void expect_matches_reference(const Case& c) {
  SCOPED_TRACE(::testing::Message()
               << "ta=" << c.ta << " tb=" << c.tb << " m=" << c.m << " n=" << c.n << " k=" << c.k
               << " pad=" << c.pad << " alpha=" << c.alpha << " beta=" << c.beta
               << " batch=" << c.batch.count << " strides=(" << c.batch.stride_a << ", "
               << c.batch.stride_b << ", " << c.batch.stride_c << ")");
  // Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k].
  const std::int64_t a_rows = c.ta ? c.k : c.m, a_cols = c.ta ? c.m : c.k;
  const std::int64_t b_rows = c.tb ? c.n : c.k, b_cols = c.tb ? c.k : c.n;
  kernels::GemmShape s{c.ta, c.tb, c.m, c.n, c.k, a_cols + c.pad, b_cols + c.pad, c.n + c.pad};
  auto span = [&](std::int64_t rows, std::int64_t ld, std::int64_t stride) {
    return (c.batch.count - 1) * stride + rows * ld;
  };
  const std::int64_t na = span(a_rows, s.lda, c.batch.stride_a);
  const std::int64_t nb = span(b_rows, s.ldb, c.batch.stride_b);
  const std::int64_t nc = span(c.m, s.ldc, c.batch.stride_c);
  const std::vector<T> a = random_vector<T>(na, 1), b = random_vector<T>(nb, 2);
  std::vector<T> c_fast = random_vector<T>(nc, 3);
  if (c.beta == 0) {
    // beta = 0 must overwrite C, as BLAS does: matmul hands it uninitialised memory.
    for (std::int64_t bi = 0; bi < c.batch.count; ++bi)
      for (std::int64_t i = 0; i < c.m; ++i)
        for (std::int64_t j = 0; j < c.n; ++j)
          c_fast[bi * c.batch.stride_c + i * s.ldc + j] = std::numeric_limits<T>::quiet_NaN();
  }
  std::vector<T> c_ref = c_fast, c_abs = abs_of(c_fast);
  kernels::gemm<T>(s, T(c.alpha), a.data(), b.data(), T(c.beta), c_fast.data(), c.batch);
  kernels::ref::gemm<T>(s, T(c.alpha), a.data(), b.data(), T(c.beta), c_ref.data(), c.batch);
  // The error scale of each element: |alpha| * sum_p |a||b| + |beta * c|.
  const std::vector<T> a_abs = abs_of(a), b_abs = abs_of(b);
  kernels::ref::gemm<T>(s, T(std::abs(c.alpha)), a_abs.data(), b_abs.data(),
                        T(c.beta == 0 ? 0 : std::abs(c.beta)), c_abs.data(), c.batch);
  const double tol = tolerance<T>(c.k);
  int reported = 0;
  for (std::int64_t i = 0; i < nc; ++i) {
    const double scale = std::max(1e-30, double(c_abs[i]));
    if (std::isnan(c_ref[i]) || !(std::abs(double(c_fast[i]) - double(c_ref[i])) <= tol * scale)) {
      ADD_FAILURE() << "element " << i << ": fast " << c_fast[i] << ", reference " << c_ref[i];
      if (++reported == 5) return;
    }
  }
}

const std::int64_t kSmallSizes[] = {1, 7, 63, 65};

template <class T>
void all_small_shapes_and_transposes() {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (auto m : kSmallSizes)
        for (auto n : kSmallSizes)
          for (auto k : kSmallSizes) expect_matches_reference<T>({ta, tb, m, n, k});
}

TEST(Gemm, FloatAllTransposesSmallSizes) { all_small_shapes_and_transposes<float>(); }
TEST(Gemm, DoubleAllTransposesSmallSizes) { all_small_shapes_and_transposes<double>(); }

template <class T>
void one_large_dim() {
  // 1000 in one dim at a time keeps the scalar oracle fast.
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      expect_matches_reference<T>({ta, tb, 1000, 7, 65});
      expect_matches_reference<T>({ta, tb, 63, 1000, 7});
      expect_matches_reference<T>({ta, tb, 65, 63, 1000});
      expect_matches_reference<T>({ta, tb, 1, 1, 1000});
      expect_matches_reference<T>({ta, tb, 1000, 1, 1});
    }
}

TEST(Gemm, FloatOneLargeDim) { one_large_dim<float>(); }
TEST(Gemm, DoubleOneLargeDim) { one_large_dim<double>(); }

template <class T>
void padded_rows_and_scaling() {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (double alpha : {1.0, -0.5, 2.0})
        for (double beta : {0.0, 1.0, 0.75}) {
          expect_matches_reference<T>({ta, tb, 7, 65, 63, 5, alpha, beta});
          expect_matches_reference<T>({ta, tb, 65, 1, 7, 3, alpha, beta});
        }
  // alpha = 0 leaves beta * C.
  expect_matches_reference<T>({false, false, 7, 7, 7, 2, 0.0, 0.5});
}

TEST(Gemm, FloatLeadingDimsAndAlphaBeta) { padded_rows_and_scaling<float>(); }
TEST(Gemm, DoubleLeadingDimsAndAlphaBeta) { padded_rows_and_scaling<double>(); }

template <class T>
void batched() {
  const std::int64_t m = 7, n = 63, k = 65, pad = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const std::int64_t a_size = (ta ? k : m) * ((ta ? m : k) + pad);
      const std::int64_t b_size = (tb ? n : k) * ((tb ? k : n) + pad);
      const std::int64_t c_size = m * (n + pad);
      // Dense batch, a gap between matrices, then A or B shared through stride 0.
      expect_matches_reference<T>({ta, tb, m, n, k, pad, 1, 0, {5, a_size, b_size, c_size}});
      expect_matches_reference<T>(
          {ta, tb, m, n, k, pad, 0.5, 1, {4, a_size + 3, b_size + 11, c_size + 2}});
      expect_matches_reference<T>({ta, tb, m, n, k, pad, 1, 0, {6, 0, b_size, c_size}});
      expect_matches_reference<T>({ta, tb, m, n, k, pad, 1, 0, {6, a_size, 0, c_size}});
    }
  // Many small products: the kernel spreads the batch over threads.
  expect_matches_reference<T>({false, true, 7, 7, 63, 0, 1, 0, {64, 7 * 63, 0, 49}});
}

TEST(Gemm, FloatBatchedWithStrides) { batched<float>(); }
TEST(Gemm, DoubleBatchedWithStrides) { batched<double>(); }

TEST(Gemm, SharedOutputAccumulatesInOrder) {
  // stride_c = 0 with beta = 1 sums the batch's products into one C; the
  // products must then not run concurrently.
  for (std::int64_t count : {2, 64})
    expect_matches_reference<float>({false, false, 7, 7, 7, 0, 1, 1, {count, 49, 49, 0}});
}

TEST(Gemm, EmptyShapesLeaveCAlone) {
  // m or n = 0: nothing to write; k = 0: C = beta * C.
  std::vector<float> c = {1, 2, 3, 4};
  const float a = 0, b = 0;
  kernels::gemm<float>({false, false, 0, 2, 3, 3, 2, 2}, 1.f, &a, &b, 0.f, c.data());
  kernels::gemm<float>({false, false, 2, 0, 3, 3, 0, 0}, 1.f, &a, &b, 0.f, c.data());
  EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
  expect_matches_reference<float>({false, false, 7, 5, 0, 0, 1, 0.5});
  expect_matches_reference<double>({true, true, 7, 5, 0, 0, 1, 0.5});
}

}  // namespace
}  // namespace qkv
