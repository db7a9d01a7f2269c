#pragma once
// Matrix products.

#include "core/tensor.h"

namespace qkv {

// Like torch.matmul: [.., M, K] x [.., K, N] -> [.., M, N] with the batch dims
// broadcast; a 1-D operand is a vector. Transposed views are passed to BLAS
// without copying.
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace qkv
