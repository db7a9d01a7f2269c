#pragma once
// Elementwise kernels. Binary ops read both operands through strides over the
// output shape (stride 0 along broadcast dims), so broadcasting and
// non-contiguous views need no copies. Unary ops work on dense spans.

#include <cstdint>

#include "core/shape.h"

namespace qkv::kernels {

enum class Binary { add, sub, mul, div };
enum class Unary { neg, exp, log, sqrt, square, relu, gelu, gelu_tanh, tanh, sigmoid };

// out (dense, `shape`)[i] = a[i] op b[i].
template <class T>
void binary(Binary op, const Shape& shape, const T* a, const Shape& a_strides, const T* b,
            const Shape& b_strides, T* out);

template <class T>
void unary(Unary op, std::int64_t n, const T* x, T* y);
// dx = dy * f'(x); y = f(x) is passed for ops whose derivative reads it.
template <class T>
void unary_backward(Unary op, std::int64_t n, const T* x, const T* y, const T* dy, T* dx);

// y = x * scale + shift.
template <class T>
void affine(std::int64_t n, const T* x, T scale, T shift, T* y);
// y = x^p; dx = dy * p * x^(p-1) (0 when p = 0).
template <class T>
void pow(std::int64_t n, const T* x, T p, T* y);
template <class T>
void pow_backward(std::int64_t n, const T* x, T p, const T* dy, T* dx);

namespace ref {
template <class T>
void binary(Binary op, const Shape& shape, const T* a, const Shape& a_strides, const T* b,
            const Shape& b_strides, T* out);
template <class T>
void unary(Unary op, std::int64_t n, const T* x, T* y);
template <class T>
void unary_backward(Unary op, std::int64_t n, const T* x, const T* y, const T* dy, T* dx);
}  // namespace ref

}  // namespace qkv::kernels
