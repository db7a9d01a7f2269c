#pragma once
// Reductions. `dims` may be negative; keepdim keeps reduced dims with size 1.
// Empty `dims` reduce nothing (NumPy's axis=()); sum(x) reduces everything.

#include <cstdint>

#include "core/tensor.h"

namespace qkv {

// Sum / mean of all elements: a 0-dim tensor.
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);
// Largest value along dim; the gradient goes to the first maximal element.
Tensor max(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Index (int64) of the first maximal element along dim; not differentiable.
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);

}  // namespace qkv
