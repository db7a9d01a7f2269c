#include "kernels/gemm.h"

#include <omp.h>

#include <algorithm>

#include "kernels/blas.h"

namespace qkv::kernels {

namespace {

// y = alpha op(M) x + beta y through BLAS's matrix-vector product.
template <class T>
void blas_gemv(bool trans, std::int64_t rows, std::int64_t cols, T alpha, const T* m,
               std::int64_t ld, const T* x, std::int64_t incx, T beta, T* y, std::int64_t incy) {
  const auto& lib = blas::library();
  const int t = trans ? blas::kTrans : blas::kNoTrans;
  const int r = static_cast<int>(rows), c = static_cast<int>(cols);
  const int l = static_cast<int>(std::max<std::int64_t>(ld, 1));
  if constexpr (std::is_same_v<T, float>)
    lib.sgemv(blas::kRowMajor, t, r, c, alpha, m, l, x, static_cast<int>(incx), beta, y,
              static_cast<int>(incy));
  else
    lib.dgemv(blas::kRowMajor, t, r, c, alpha, m, l, x, static_cast<int>(incx), beta, y,
              static_cast<int>(incy));
}

template <class T>
void blas_gemm(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  // One row or one column of C is a matrix-vector product. OpenBLAS's sgemm
  // would first pack the whole other matrix, which for a decoding step's
  // [1, d] x [d, V] output projection costs more than the product itself.
  if (s.k > 0 && s.m == 1) {
    // c[j] = sum_p a[p] op(B)[p, j]: with B stored [n, k] that is B a, else B^T a.
    blas_gemv(!s.trans_b, s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, alpha, b, s.ldb, a,
              s.trans_a ? s.lda : 1, beta, c, 1);
    return;
  }
  if (s.k > 0 && s.n == 1) {
    // c[i] = sum_p op(A)[i, p] b[p]: with A stored [m, k] that is A b, else A^T b.
    blas_gemv(s.trans_a, s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, alpha, a, s.lda, b,
              s.trans_b ? 1 : s.ldb, beta, c, s.ldc);
    return;
  }
  const auto& lib = blas::library();
  // BLAS requires leading dimensions >= 1 even for empty matrices.
  const int lda = static_cast<int>(std::max<std::int64_t>(s.lda, 1));
  const int ldb = static_cast<int>(std::max<std::int64_t>(s.ldb, 1));
  const int ldc = static_cast<int>(std::max<std::int64_t>(s.ldc, 1));
  const int ta = s.trans_a ? blas::kTrans : blas::kNoTrans;
  const int tb = s.trans_b ? blas::kTrans : blas::kNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    lib.sgemm(blas::kRowMajor, ta, tb, static_cast<int>(s.m), static_cast<int>(s.n),
              static_cast<int>(s.k), alpha, a, lda, b, ldb, beta, c, ldc);
  } else {
    lib.dgemm(blas::kRowMajor, ta, tb, static_cast<int>(s.m), static_cast<int>(s.n),
              static_cast<int>(s.k), alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

}  // namespace

template <class T>
void gemm(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c,
          const GemmBatch& batch) {
  if (s.m == 0 || s.n == 0 || batch.count == 0) return;
  // Small matrices: one single-threaded BLAS call per thread over the batch
  // (inside a parallel region the OpenMP build of OpenBLAS runs serially).
  // Large ones: BLAS parallelises each product itself.
  // Overlapping outputs (stride_c 0 sums the batch into one C) must be written
  // one product after another.
  const std::int64_t c_span = (s.m - 1) * s.ldc + s.n;
  const bool disjoint_c = batch.stride_c >= c_span || batch.stride_c <= -c_span;
  const double flops = 2.0 * s.m * s.n * s.k;
  const bool across_batch = batch.count > 1 && disjoint_c && flops < 2.0 * 256 * 256 * 256 &&
                            omp_get_max_threads() > 1 && !omp_in_parallel();
  auto product = [&](std::int64_t i) {
    blas_gemm(s, alpha, a + i * batch.stride_a, b + i * batch.stride_b, beta,
              c + i * batch.stride_c);
  };
  if (!across_batch) {
    // Outside any parallel region, so BLAS keeps all its threads: even an
    // inactive one (if false) measured 15% slower at n = 256..1024.
    for (std::int64_t i = 0; i < batch.count; ++i) product(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < batch.count; ++i) product(i);
}

template void gemm<float>(const GemmShape&, float, const float*, const float*, float, float*,
                          const GemmBatch&);
template void gemm<double>(const GemmShape&, double, const double*, const double*, double, double*,
                           const GemmBatch&);

}  // namespace qkv::kernels
