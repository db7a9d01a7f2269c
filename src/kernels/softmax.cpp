#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/parallel_rows.h"
#include "kernels/row_simd.h"
#include "kernels/simd_math.h"

namespace qkv::kernels {

namespace {

// Portable rows: double everywhere, float without a vector backend
// (simd_vec.h). float uses the same exp as the vector path; sums run in double,
// since one scalar accumulator rounds more than the vector path's lanes.
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
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += y[j] = exp_of(x[j] - m);
  const T inv = static_cast<T>(1 / s);
  for (std::int64_t j = 0; j < n; ++j) y[j] *= inv;
}

template <class T>
void softmax_backward_row(std::int64_t n, const T* y, const T* dy, T* dx) {
  double acc = 0;
  for (std::int64_t j = 0; j < n; ++j) acc += dy[j] * y[j];
  const T dot = static_cast<T>(acc);
  for (std::int64_t j = 0; j < n; ++j) dx[j] = y[j] * (dy[j] - dot);
}

template <class T>
void log_softmax_row(std::int64_t n, const T* x, T* y) {
  const T m = max_of(n, x);
  double s = 0;
  for (std::int64_t j = 0; j < n; ++j) s += exp_of(x[j] - m);
  const T shift = static_cast<T>(m + std::log(s));
  for (std::int64_t j = 0; j < n; ++j) y[j] = x[j] - shift;
}

template <class T>
void log_softmax_backward_row(std::int64_t n, const T* y, const T* dy, T* dx) {
  double acc = 0;
  for (std::int64_t j = 0; j < n; ++j) acc += dy[j];
  const T sum = static_cast<T>(acc);
  for (std::int64_t j = 0; j < n; ++j) dx[j] = dy[j] - exp_of(y[j]) * sum;
}

#ifdef QKV_SIMD_VEC
// Three passes over a row that stays in cache: max, exp and sum (storing exp
// into y), scale.
template <>
void softmax_row<float>(std::int64_t n, const float* x, float* y) {
  using namespace simd;
  const Vec m = set1(row_max(n, x));
  Vec s = zero();
  for_each_vector(n, [&](std::int64_t j, auto k) {
    const Vec e = exp(sub(load(x + j, k), m));
    store(y + j, k, e);
    s = mask_add(s, k, s, e);
  });
  const Vec inv = set1(1.0f / reduce_add(s));
  for_each_vector(n, [&](std::int64_t j, auto k) { store(y + j, k, mul(load(y + j, k), inv)); });
}

template <>
void softmax_backward_row<float>(std::int64_t n, const float* y, const float* dy, float* dx) {
  using namespace simd;
  Vec acc = zero();
  for_each_vector(
      n, [&](std::int64_t j, auto k) { acc = fmadd(load(dy + j, k), load(y + j, k), acc); });
  const Vec dot = set1(reduce_add(acc));
  for_each_vector(n, [&](std::int64_t j, auto k) {
    store(dx + j, k, mul(load(y + j, k), sub(load(dy + j, k), dot)));
  });
}

template <>
void log_softmax_row<float>(std::int64_t n, const float* x, float* y) {
  using namespace simd;
  const float m = row_max(n, x);
  const Vec shift = set1(m + std::log(row_sum_exp(n, x, m)));
  for_each_vector(n, [&](std::int64_t j, auto k) { store(y + j, k, sub(load(x + j, k), shift)); });
}

template <>
void log_softmax_backward_row<float>(std::int64_t n, const float* y, const float* dy, float* dx) {
  using namespace simd;
  const Vec sum = set1(row_sum(n, dy));
  for_each_vector(n, [&](std::int64_t j, auto k) {
    store(dx + j, k, fnmadd(exp(load(y + j, k)), sum, load(dy + j, k)));
  });
}
#endif

}  // namespace

template <class T>
void softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
  parallel_rows(rows, n, [&](std::int64_t r) { softmax_row(n, x + r * n, y + r * n); });
}

template <class T>
void softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
  parallel_rows(
      rows, n, [&](std::int64_t r) { softmax_backward_row(n, y + r * n, dy + r * n, dx + r * n); });
}

template <class T>
void log_softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
  parallel_rows(rows, n, [&](std::int64_t r) { log_softmax_row(n, x + r * n, y + r * n); });
}

template <class T>
void log_softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
  parallel_rows(rows, n, [&](std::int64_t r) {
    log_softmax_backward_row(n, y + r * n, dy + r * n, dx + r * n);
  });
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
