#pragma once
// The choice of non-linearity in feed-forward blocks, as a value that configs
// and layers pass around.

#include <string>

#include "core/tensor.h"

namespace qkv::nn {

// gelu is the exact form (PyTorch's default), gelu_tanh its tanh approximation.
enum class Activation { relu, gelu, gelu_tanh };

Tensor activate(Activation activation, const Tensor& x);
std::string activation_name(Activation activation);

}  // namespace qkv::nn
