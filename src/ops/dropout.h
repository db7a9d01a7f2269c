#pragma once
// Inverted dropout: in training, zero each element with probability p and
// scale the rest by 1 / (1 - p); the identity otherwise.

#include "core/rng.h"
#include "core/tensor.h"

namespace qkv {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());

}  // namespace qkv
