#pragma once
// Whether query i of (batch b, head) may see key j under an AttentionMask, and
// the additive term of its score: the one reading of a mask that the
// element-at-a-time kernels share.

#include <cstdint>

#include "kernels/attention.h"

namespace qkv::kernels {

template <class T>
bool visible(const AttentionDims& d, const AttentionMask<T>& mask, std::int64_t b,
             std::int64_t head, std::int64_t i, std::int64_t j) {
  if (mask.causal && j > i + (d.k_len - d.q_len)) return false;
  if (mask.key_lengths && j >= mask.key_lengths[b]) return false;
  const MaskStrides& s = mask.allowed_strides;
  return !mask.allowed || mask.allowed[b * s.batch + head * s.head + i * s.query + j * s.key];
}

template <class T>
T additive_term(const AttentionMask<T>& mask, std::int64_t b, std::int64_t head, std::int64_t i,
                std::int64_t j) {
  const MaskStrides& s = mask.additive_strides;
  return mask.additive ? mask.additive[b * s.batch + head * s.head + i * s.query + j * s.key]
                       : T(0);
}

}  // namespace qkv::kernels
