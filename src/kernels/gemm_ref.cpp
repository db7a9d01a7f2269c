#include "kernels/gemm.h"

namespace qkv::kernels::ref {

template <class T>
void gemm(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c,
          const GemmBatch& batch) {
  for (std::int64_t bi = 0; bi < batch.count; ++bi) {
    const T* A = a + bi * batch.stride_a;
    const T* B = b + bi * batch.stride_b;
    T* C = c + bi * batch.stride_c;
    for (std::int64_t i = 0; i < s.m; ++i) {
      for (std::int64_t j = 0; j < s.n; ++j) {
        double acc = 0;
        for (std::int64_t p = 0; p < s.k; ++p) {
          const T av = s.trans_a ? A[p * s.lda + i] : A[i * s.lda + p];
          const T bv = s.trans_b ? B[j * s.ldb + p] : B[p * s.ldb + j];
          acc += double(av) * double(bv);
        }
        T& out = C[i * s.ldc + j];
        // beta == 0 overwrites, so uninitialised C (even NaN) is allowed, as in BLAS.
        out = static_cast<T>(alpha * acc + (beta == T(0) ? T(0) : beta * out));
      }
    }
  }
}

template void gemm<float>(const GemmShape&, float, const float*, const float*, float, float*,
                          const GemmBatch&);
template void gemm<double>(const GemmShape&, double, const double*, const double*, double,
                           double*, const GemmBatch&);

}  // namespace qkv::kernels::ref
