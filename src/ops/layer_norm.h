#pragma once
// Layer normalisation over the last dim (Ba et al. 2016):
//   y = (x - mean) / sqrt(var + eps) * weight + bias, var biased.

#include "core/tensor.h"

namespace qkv {

// x [.., d]; weight and bias [d] or undefined (no affine part).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

}  // namespace qkv
