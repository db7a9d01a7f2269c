#pragma once
// y = x W^T + b, the affine map of nn.Linear.

#include "core/tensor.h"

namespace qkv {

// x [.., in], weight [out, in], bias [out] or undefined -> [.., out].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace qkv
