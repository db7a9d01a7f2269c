#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/unary_math.h"

namespace qkv::kernels {

namespace {

// Merges adjacent dims that are contiguous with each other in both operands,
// so a broadcast over [B, T, d] with a [d] operand becomes a 2-D loop.
struct Collapsed {
  Shape shape, sa, sb;
};

Collapsed collapse(const Shape& shape, const Shape& sa, const Shape& sb) {
  Collapsed c;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!c.shape.empty() && c.sa.back() == sa[i] * shape[i] && c.sb.back() == sb[i] * shape[i]) {
      c.shape.back() *= shape[i];
      c.sa.back() = sa[i];
      c.sb.back() = sb[i];
    } else {
      c.shape.push_back(shape[i]);
      c.sa.push_back(sa[i]);
      c.sb.push_back(sb[i]);
    }
  }
  if (c.shape.empty()) c = {{1}, {0}, {0}};
  return c;
}

template <class T, class F>
void inner_loop(std::int64_t n, const T* a, std::int64_t sa, const T* b, std::int64_t sb, T* out,
                F f) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) out[j] = f(a[j], b[j]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) out[j] = f(a[j], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
#pragma omp simd
    for (std::int64_t j = 0; j < n; ++j) out[j] = f(av, b[j]);
  } else {
    for (std::int64_t j = 0; j < n; ++j) out[j] = f(a[j * sa], b[j * sb]);
  }
}

template <class T, class F>
void binary_loop(const Collapsed& c, const T* a, const T* b, T* out, F f) {
  const std::size_t rank = c.shape.size();
  const std::int64_t inner = c.shape[rank - 1];
  const std::int64_t rows = numel(c.shape) / inner;
#pragma omp parallel for schedule(static) if (rows * inner > 32768)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t rem = r, oa = 0, ob = 0;
    for (std::size_t d = rank - 1; d-- > 0;) {
      const std::int64_t idx = rem % c.shape[d];
      rem /= c.shape[d];
      oa += idx * c.sa[d];
      ob += idx * c.sb[d];
    }
    inner_loop(inner, a + oa, c.sa[rank - 1], b + ob, c.sb[rank - 1], out + r * inner, f);
  }
}

}  // namespace

template <class T>
void binary(Binary op, const Shape& shape, const T* a, const Shape& a_strides, const T* b,
            const Shape& b_strides, T* out) {
  if (numel(shape) == 0) return;
  const Collapsed c = collapse(shape, a_strides, b_strides);
  switch (op) {
    case Binary::add: return binary_loop(c, a, b, out, [](T x, T y) { return x + y; });
    case Binary::sub: return binary_loop(c, a, b, out, [](T x, T y) { return x - y; });
    case Binary::mul: return binary_loop(c, a, b, out, [](T x, T y) { return x * y; });
    case Binary::div: return binary_loop(c, a, b, out, [](T x, T y) { return x / y; });
  }
}

template <class T>
void unary(Unary op, std::int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) y[i] = detail::unary_value(op, x[i]);
}

template <class T>
void unary_backward(Unary op, std::int64_t n, const T* x, const T* y, const T* dy, T* dx) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * detail::unary_derivative(op, x ? x[i] : T(0), y ? y[i] : T(0));
}

template <class T>
void affine(std::int64_t n, const T* x, T scale, T shift, T* y) {
#pragma omp parallel for simd schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

template <class T>
void pow(std::int64_t n, const T* x, T p, T* y) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) y[i] = std::pow(x[i], p);
}

template <class T>
void pow_backward(std::int64_t n, const T* x, T p, const T* dy, T* dx) {
  if (p == T(0)) {
    // x^0 is constant; p * x^(p-1) would be 0 * inf = NaN at x = 0.
    std::fill(dx, dx + n, T(0));
    return;
  }
#pragma omp parallel for schedule(static) if (n > 32768)
  for (std::int64_t i = 0; i < n; ++i) dx[i] = dy[i] * p * std::pow(x[i], p - T(1));
}

#define QKV_INSTANTIATE(T)                                                                  \
  template void binary<T>(Binary, const Shape&, const T*, const Shape&, const T*,           \
                          const Shape&, T*);                                                \
  template void unary<T>(Unary, std::int64_t, const T*, T*);                                \
  template void unary_backward<T>(Unary, std::int64_t, const T*, const T*, const T*, T*);   \
  template void affine<T>(std::int64_t, const T*, T, T, T*);                                \
  template void pow<T>(std::int64_t, const T*, T, T*);                                      \
  template void pow_backward<T>(std::int64_t, const T*, T, const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels
