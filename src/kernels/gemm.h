#pragma once
// General matrix multiply on row-major matrices:
//   C[M, N] = alpha * op(A)[M, K] * op(B)[K, N] + beta * C
// op(X) is X or X^T; lda/ldb/ldc are row strides in elements. The fast path
// calls the BLAS library; ref:: is the scalar oracle the tests compare it with.

#include <cstdint>

namespace qkv::kernels {

struct GemmShape {
  bool trans_a = false, trans_b = false;
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t lda = 0, ldb = 0, ldc = 0;
};

// `batch` products; matrix i starts at A + i * stride_a, etc. A stride of 0
// shares one matrix across the batch. Products whose C matrices overlap run in
// batch order, so stride_c = 0 with beta = 1 sums all products into one C.
struct GemmBatch {
  std::int64_t count = 1;
  std::int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

template <class T>
void gemm(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c,
          const GemmBatch& batch = {});

namespace ref {
template <class T>
void gemm(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c,
          const GemmBatch& batch = {});
}  // namespace ref

}  // namespace qkv::kernels
