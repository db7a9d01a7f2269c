#pragma once
// Attention forward one query row at a time, for calls with few queries per
// head: incremental decoding asks for one new position over the cached keys.
// The tiled kernel (attention_flash.cpp) keeps a block of queries along the
// vector lanes and would compute a whole block for a single query. Same
// arguments, masks, dropout and results as kernels::attention_forward (o and
// lse), so kernels::attention_backward applies to its outputs as well.

#include "kernels/attention.h"

namespace qkv::kernels {

// Calls with at most this many queries per head go row by row.
inline constexpr std::int64_t kRowwiseMaxQueries = 8;

template <class T>
void attention_forward_rows(const AttentionDims& dims, T scale, const AttentionMask<T>& mask,
                            const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                            T* o, T* lse);

}  // namespace qkv::kernels
