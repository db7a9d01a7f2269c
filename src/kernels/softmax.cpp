#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/row_simd.h"
#include "kernels/simd_math.h"

namespace qkv::kernels {

namespace {

// Rows are split across threads once the array is this large (elements).
constexpr std::int64_t kParallelElements = 32768;

// Portable rows: double everywhere, float without AVX-512. float uses the same
// exp as the vector path.
template <class T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>)
    return simd::exp(x);
  else
    return std::exp(x);
}

template <class T>
T max_of(std::int64_t n, const T* x) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::int64_t j = 0; j < n; ++j) m = std::max(m, x[j]);
  return m;
}

template <class T>
void softmax_row(std::int64_t n, const T* x, T* y) {
  const T m = max_of(n, x);
  T s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += y[j] = exp_of(x[j] - m);
  const T inv = T(1) / s;
  for (std::int64_t j = 0; j < n; ++j) y[j] *= inv;
}

template <class T>
void softmax_backward_row(std::int64_t n, const T* y, const T* dy, T* dx) {
  T dot = 0;
  for (std::int64_t j = 0; j < n; ++j) dot += dy[j] * y[j];
  for (std::int64_t j = 0; j < n; ++j) dx[j] = y[j] * (dy[j] - dot);
}

template <class T>
void log_softmax_row(std::int64_t n, const T* x, T* y) {
  const T m = max_of(n, x);
  T s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += exp_of(x[j] - m);
  const T shift = m + std::log(s);
  for (std::int64_t j = 0; j < n; ++j) y[j] = x[j] - shift;
}

template <class T>
void log_softmax_backward_row(std::int64_t n, const T* y, const T* dy, T* dx) {
  T sum = 0;
  for (std::int64_t j = 0; j < n; ++j) sum += dy[j];
  for (std::int64_t j = 0; j < n; ++j) dx[j] = dy[j] - exp_of(y[j]) * sum;
}

#ifdef __AVX512F__
// Three passes over a row that stays in cache: max, exp and sum (storing exp
// into y), scale.
template <>
void softmax_row<float>(std::int64_t n, const float* x, float* y) {
  using namespace simd;
  const __m512 m = _mm512_set1_ps(row_max(n, x));
  __m512 s = _mm512_setzero_ps();
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    const __m512 e = exp(_mm512_sub_ps(load(x + j, k), m));
    store(y + j, k, e);
    s = _mm512_mask_add_ps(s, k, s, e);
  });
  const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(s));
  for_each_vector(
      n, [&](std::int64_t j, __mmask16 k) { store(y + j, k, _mm512_mul_ps(load(y + j, k), inv)); });
}

template <>
void softmax_backward_row<float>(std::int64_t n, const float* y, const float* dy, float* dx) {
  using namespace simd;
  __m512 acc = _mm512_setzero_ps();
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    acc = _mm512_fmadd_ps(load(dy + j, k), load(y + j, k), acc);
  });
  const __m512 dot = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    store(dx + j, k, _mm512_mul_ps(load(y + j, k), _mm512_sub_ps(load(dy + j, k), dot)));
  });
}

template <>
void log_softmax_row<float>(std::int64_t n, const float* x, float* y) {
  using namespace simd;
  const float m = row_max(n, x);
  const __m512 shift = _mm512_set1_ps(m + std::log(row_sum_exp(n, x, m)));
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    store(y + j, k, _mm512_sub_ps(load(x + j, k), shift));
  });
}

template <>
void log_softmax_backward_row<float>(std::int64_t n, const float* y, const float* dy, float* dx) {
  using namespace simd;
  const __m512 sum = _mm512_set1_ps(row_sum(n, dy));
  for_each_vector(n, [&](std::int64_t j, __mmask16 k) {
    store(dx + j, k, _mm512_fnmadd_ps(exp(load(y + j, k)), sum, load(dy + j, k)));
  });
}
#endif

}  // namespace

template <class T>
void softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (rows * n > kParallelElements)
  for (std::int64_t r = 0; r < rows; ++r) softmax_row(n, x + r * n, y + r * n);
}

template <class T>
void softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
#pragma omp parallel for schedule(static) if (rows * n > kParallelElements)
  for (std::int64_t r = 0; r < rows; ++r)
    softmax_backward_row(n, y + r * n, dy + r * n, dx + r * n);
}

template <class T>
void log_softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (rows * n > kParallelElements)
  for (std::int64_t r = 0; r < rows; ++r) log_softmax_row(n, x + r * n, y + r * n);
}

template <class T>
void log_softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
#pragma omp parallel for schedule(static) if (rows * n > kParallelElements)
  for (std::int64_t r = 0; r < rows; ++r)
    log_softmax_backward_row(n, y + r * n, dy + r * n, dx + r * n);
}

#define QKV_INSTANTIATE(T)                                                               \
  template void softmax_forward<T>(std::int64_t, std::int64_t, const T*, T*);            \
  template void softmax_backward<T>(std::int64_t, std::int64_t, const T*, const T*, T*); \
  template void log_softmax_forward<T>(std::int64_t, std::int64_t, const T*, T*);        \
  template void log_softmax_backward<T>(std::int64_t, std::int64_t, const T*, const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels
