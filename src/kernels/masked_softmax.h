#pragma once
// Softmax over the keys of attention scores that a scorer formed itself
// (additive attention, d2l's masked_softmax), under the attention kernels' mask:
//   scores [B, h, Tq, Tk] -> w [B, h, Tq, Tk],
//   w_ij = softmax_j(s_ij + additive_ij) over the visible keys, 0 for the others;
//   a row with no visible key (or only -inf scores) is all 0, never NaN.
// Only batch, heads, q_len and k_len of the dims are read. The backward is
// softmax_backward (kernels/softmax.h) on w: masked weights are 0, and so are
// their gradients. w may be scores (in place).

#include "kernels/attention.h"

namespace qkv::kernels {

template <class T>
void masked_softmax_forward(const AttentionDims& dims, const AttentionMask<T>& mask,
                            const T* scores, T* w);

namespace ref {
// Accumulates in double.
template <class T>
void masked_softmax_forward(const AttentionDims& dims, const AttentionMask<T>& mask,
                            const T* scores, T* w);
}  // namespace ref

}  // namespace qkv::kernels
