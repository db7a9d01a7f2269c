#pragma once
// Raw layout functions: views that share storage, and copies. None of these
// records gradients; ops/shape.h has the differentiable versions, which call these.

#include <cstdint>

#include "core/tensor.h"

namespace qkv::view {

Tensor as_strided(const Tensor& t, Shape shape, Shape strides, std::int64_t offset);
// Same elements, new shape (one entry may be -1). A view when the layout
// allows it, otherwise a contiguous copy, like torch.reshape.
Tensor reshape(const Tensor& t, Shape shape);
Tensor transpose(const Tensor& t, std::int64_t d0, std::int64_t d1);
Tensor permute(const Tensor& t, const Shape& dims);
// Elements [start, start + length) of dim.
Tensor narrow(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t length);
// Index `index` of dim, removing that dim.
Tensor select(const Tensor& t, std::int64_t dim, std::int64_t index);
Tensor unsqueeze(const Tensor& t, std::int64_t dim);
Tensor squeeze(const Tensor& t, std::int64_t dim);
// Broadcasts to `shape` with stride 0 along expanded dims (NumPy rules).
Tensor expand(const Tensor& t, const Shape& shape);

// A dense copy in row-major order (returns t itself when already contiguous).
Tensor contiguous(const Tensor& t);
// Always a new dense copy.
Tensor clone(const Tensor& t);
// Copies src's elements into dst (same shape, any strides, converting dtype).
void copy_into(const Tensor& dst, const Tensor& src);
// A dense copy converted to dtype (t itself when already of that dtype and contiguous).
Tensor to_dtype(const Tensor& t, DType dtype);

}  // namespace qkv::view
