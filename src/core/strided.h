#pragma once
// Walks the elements of a strided view in logical (row-major) order.

#include <cstdint>

#include "core/shape.h"

namespace qkv {

// Calls f(i, off) for every element: i counts in logical order, off is the
// element offset from the view's start under `strides`.
template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, F&& f) {
  const std::int64_t n = numel(shape);
  if (n == 0) return;
  const std::size_t rank = shape.size();
  if (rank == 0) {
    f(std::int64_t{0}, std::int64_t{0});
    return;
  }
  Shape index(rank, 0);
  std::int64_t off = 0;
  const std::int64_t inner = shape[rank - 1], inner_stride = strides[rank - 1];
  for (std::int64_t i = 0; i < n; i += inner) {
    for (std::int64_t j = 0; j < inner; ++j) f(i + j, off + j * inner_stride);
    for (std::size_t d = rank - 1; d-- > 0;) {
      off += strides[d];
      if (++index[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace qkv
