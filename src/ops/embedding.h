#pragma once
// Row lookup: ids (int64, any shape) into weight [V, d] -> [ids.., d].

#include <cstdint>
#include <optional>

#include "core/tensor.h"

namespace qkv {

// Rows at padding_idx get no gradient (as torch's padding_idx). Out-of-range
// ids throw, naming the id and the vocabulary size.
Tensor embedding(const Tensor& ids, const Tensor& weight,
                 std::optional<std::int64_t> padding_idx = std::nullopt);

}  // namespace qkv
