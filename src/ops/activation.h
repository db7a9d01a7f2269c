#pragma once
// Pointwise non-linearities.

#include "core/tensor.h"

namespace qkv {

Tensor relu(const Tensor& x);
// GELU: x * Phi(x) with the exact normal CDF (PyTorch's default), or the tanh
// approximation of Hendrycks & Gimpel when `tanh_approximation`.
Tensor gelu(const Tensor& x, bool tanh_approximation = false);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);

}  // namespace qkv
