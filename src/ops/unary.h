#pragma once
// The shared front end of the pointwise ops (exp, log, activations): checks,
// runs the kernel and records the backward. Internal to ops/.

#include "core/tensor.h"
#include "kernels/elementwise.h"

namespace qkv::detail {

// save_input: the derivative reads x (log, square, relu, gelu) rather than y.
Tensor unary_op(const char* name, kernels::Unary op, const Tensor& x, bool save_input);

}  // namespace qkv::detail
