#pragma once
// Shapes and strides, counted in elements, and the rules that relate them.

#include <cstdint>
#include <string>
#include <vector>

namespace qkv {

using Shape = std::vector<std::int64_t>;

std::int64_t numel(const Shape& shape);
// Row-major strides for a dense tensor of this shape.
Shape contiguous_strides(const Shape& shape);
// Maps a possibly negative dim into [0, rank); throws naming `what` when out of range.
std::int64_t wrap_dim(std::int64_t dim, std::int64_t rank, const char* what);
// NumPy broadcasting of two shapes; throws naming both when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b);
std::string to_string(const Shape& shape);

}  // namespace qkv
