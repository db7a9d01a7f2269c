#pragma once
// Differentiable layout changes. Views share storage with their input, like
// their torch namesakes; the backward maps the gradient back to the input's layout.

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace qkv {

Tensor reshape(const Tensor& x, const Shape& shape);
Tensor transpose(const Tensor& x, std::int64_t d0, std::int64_t d1);
Tensor permute(const Tensor& x, const Shape& dims);
Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length);
Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index);
Tensor unsqueeze(const Tensor& x, std::int64_t dim);
Tensor squeeze(const Tensor& x, std::int64_t dim);
// Broadcasts to shape; the backward sums over the broadcast dims.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor contiguous(const Tensor& x);
// Joins tensors of equal shape but for `dim`.
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim);

// Sums a gradient of broadcast shape down to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace qkv
