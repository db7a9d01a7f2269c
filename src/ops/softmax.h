#pragma once
// Softmax and log-softmax along one dim (the last by default). As in torch, a
// line of all -inf gives NaN: masked attention must treat fully masked rows
// itself (DESIGN: they give zeros).

#include <cstdint>

#include "core/tensor.h"

namespace qkv {

Tensor softmax(const Tensor& x, std::int64_t dim = -1);
Tensor log_softmax(const Tensor& x, std::int64_t dim = -1);

}  // namespace qkv
