#pragma once
// Argument checks shared by the ops' front ends.

#include "core/tensor.h"

namespace qkv::detail {

// Throws unless x is a defined float32/float64 tensor, naming op and argument.
void require_floating(const Tensor& x, const char* op, const char* arg);
// Throws unless a and b have the same dtype.
void require_same_dtype(const Tensor& a, const Tensor& b, const char* op);

}  // namespace qkv::detail
