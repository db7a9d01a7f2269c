#pragma once
// Gathering along one dim, as torch.index_select: out[.., i, ..] = x[.., index[i], ..].
// Beam search uses it to reorder cached keys and values by surviving beam.

#include <cstdint>

#include "core/tensor.h"

namespace qkv {

// x [.., n, ..] and index int64 [m] with entries in [0, n) -> [.., m, ..].
// The backward adds each row's gradient into the row it came from.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);

}  // namespace qkv
