#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>

namespace qkv::kernels {

template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  if (n == 0) {
    // The column loop below starts from row 0, which an empty dim does not have.
    std::fill(out, out + outer * inner, T(0));
    return;
  }
  if (inner == 1) {
    // Row sums: accumulate in double for float input so long rows lose nothing.
#pragma omp parallel for schedule(static) if (outer * n > 32768)
    for (std::int64_t o = 0; o < outer; ++o) {
      const T* row = x + o * n;
      double acc = 0;
#pragma omp simd reduction(+ : acc)
      for (std::int64_t j = 0; j < n; ++j) acc += row[j];
      out[o] = static_cast<T>(acc);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (outer * n * inner > 32768)
  for (std::int64_t o = 0; o < outer; ++o) {
    T* dst = out + o * inner;
    const T* src = x + o * n * inner;
#pragma omp simd
    for (std::int64_t i = 0; i < inner; ++i) dst[i] = src[i];
    for (std::int64_t j = 1; j < n; ++j) {
      const T* r = src + j * inner;
#pragma omp simd
      for (std::int64_t i = 0; i < inner; ++i) dst[i] += r[i];
    }
  }
}

template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out,
             std::int64_t* index) {
#pragma omp parallel for schedule(static) if (outer * n * inner > 32768)
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * n * inner + i;
      T best = p[0];
      std::int64_t arg = 0;
      for (std::int64_t j = 1; j < n && !std::isnan(best); ++j) {
        const T v = p[j * inner];
        if (v > best || std::isnan(v)) {
          best = v;
          arg = j;
        }
      }
      out[o * inner + i] = best;
      if (index) index[o * inner + i] = arg;
    }
  }
}

template void sum_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*);
template void sum_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*);
template void max_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*,
                             std::int64_t*);
template void max_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*,
                              std::int64_t*);

}  // namespace qkv::kernels

namespace qkv::kernels {

template <class T>
void max_dim_backward(std::int64_t outer, std::int64_t n, std::int64_t inner,
                      const std::int64_t* index, const T* dy, T* dx) {
  std::fill(dx, dx + outer * n * inner, T(0));
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i)
      dx[(o * n + index[o * inner + i]) * inner + i] = dy[o * inner + i];
}

template void max_dim_backward<float>(std::int64_t, std::int64_t, std::int64_t,
                                      const std::int64_t*, const float*, float*);
template void max_dim_backward<double>(std::int64_t, std::int64_t, std::int64_t,
                                       const std::int64_t*, const double*, double*);

}  // namespace qkv::kernels
