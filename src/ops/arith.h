#pragma once
// Elementwise arithmetic with NumPy broadcasting, and the operators on Tensor.

#include "core/tensor.h"

namespace qkv {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// a * s + t: the scalar forms, one op.
Tensor affine(const Tensor& a, double scale, double shift);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& a, double s) { return affine(a, 1, s); }
inline Tensor operator+(double s, const Tensor& a) { return affine(a, 1, s); }
inline Tensor operator-(const Tensor& a, double s) { return affine(a, 1, -s); }
inline Tensor operator-(double s, const Tensor& a) { return affine(a, -1, s); }
inline Tensor operator*(const Tensor& a, double s) { return affine(a, s, 0); }
inline Tensor operator*(double s, const Tensor& a) { return affine(a, s, 0); }
inline Tensor operator/(const Tensor& a, double s) { return affine(a, 1 / s, 0); }

}  // namespace qkv
