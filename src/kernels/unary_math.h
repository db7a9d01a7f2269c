#pragma once
// The scalar definitions of the unary ops and their derivatives, shared by the
// fast loops and the reference.

#include <cmath>
#include <numbers>

#include "kernels/elementwise.h"

namespace qkv::kernels::detail {

template <class T>
inline T unary_value(Unary op, T x) {
  constexpr T kInvSqrt2 = T(1) / std::numbers::sqrt2_v<T>;
  constexpr T kSqrt2OverPi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  switch (op) {
    case Unary::neg: return -x;
    case Unary::exp: return std::exp(x);
    case Unary::log: return std::log(x);
    case Unary::sqrt: return std::sqrt(x);
    case Unary::square: return x * x;
    case Unary::relu: return x > T(0) ? x : T(0);
    case Unary::gelu: return T(0.5) * x * (T(1) + std::erf(x * kInvSqrt2));
    case Unary::gelu_tanh:
      return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + T(0.044715) * x * x * x)));
    case Unary::tanh: return std::tanh(x);
    case Unary::sigmoid: return T(1) / (T(1) + std::exp(-x));
  }
  return x;
}

// d f(x) / dx, given x and y = f(x).
template <class T>
inline T unary_derivative(Unary op, T x, T y) {
  constexpr T kInvSqrt2 = T(1) / std::numbers::sqrt2_v<T>;
  constexpr T kInvSqrt2Pi = kInvSqrt2 * std::numbers::inv_sqrtpi_v<T>;
  constexpr T kSqrt2OverPi = std::numbers::sqrt2_v<T> * std::numbers::inv_sqrtpi_v<T>;
  switch (op) {
    case Unary::neg: return T(-1);
    case Unary::exp: return y;
    case Unary::log: return T(1) / x;
    case Unary::sqrt: return T(0.5) / y;
    case Unary::square: return T(2) * x;
    case Unary::relu: return x > T(0) ? T(1) : T(0);
    case Unary::gelu:
      return T(0.5) * (T(1) + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(T(-0.5) * x * x);
    case Unary::gelu_tanh: {
      const T inner = kSqrt2OverPi * (x + T(0.044715) * x * x * x);
      const T t = std::tanh(inner);
      const T dinner = kSqrt2OverPi * (T(1) + T(3 * 0.044715) * x * x);
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * dinner;
    }
    case Unary::tanh: return T(1) - y * y;
    case Unary::sigmoid: return y * (T(1) - y);
  }
  return T(1);
}

template <class T>
inline T binary_value(Binary op, T a, T b) {
  switch (op) {
    case Binary::add: return a + b;
    case Binary::sub: return a - b;
    case Binary::mul: return a * b;
    case Binary::div: return a / b;
  }
  return a;
}

}  // namespace qkv::kernels::detail
