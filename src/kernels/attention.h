#pragma once
// Scaled dot-product attention over dense row-major arrays, forward and
// backward:
//   q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv] -> o [B, h, Tq, dv],
//   lse [B, h, Tq] = log(sum_j exp(s_ij)) over the visible keys,
//   s_ij = scale * q_i . k_j (+ additive mask), o_i = sum_j dropout(softmax(s)_ij) v_j.
// g divides h; query head i reads kv head i / (h / g) (MHA g = h, GQA, MQA g = 1).
//
// The fast path (attention_flash.cpp) is tiled in the manner of FlashAttention-2
// (Dao, 2023): it never holds a Tq x Tk array, keeps lse per query row, and the
// backward recomputes the weights tile by tile from q, k and lse. ref:: is the
// materialising oracle the tests compare it with.
//
// Memory of the fast path, allocated once per call: a few tiles per thread
// (about 100 KiB forward, 260 KiB backward at dh = dv = 64); in the backward a
// packed copy of the query side (q and dout transposed per 128-query block,
// about the size of q plus dout) and, when there are fewer (batch, kv head)
// pairs than threads to share out, up to one extra dq per thread. Nothing grows
// with Tq x Tk.

#include <cmath>
#include <cstdint>

#include "core/philox.h"

namespace qkv::kernels {

struct AttentionDims {
  std::int64_t batch = 1;      // B
  std::int64_t heads = 1;      // h, query heads
  std::int64_t kv_heads = 1;   // g, key/value heads; divides h
  std::int64_t q_len = 1;      // Tq >= 1
  std::int64_t k_len = 1;      // Tk >= 1
  std::int64_t head_dim = 1;   // dh, width of q and k
  std::int64_t value_dim = 1;  // dv, width of v and o
};

// Element strides of a mask over [B, h, Tq, Tk]; 0 broadcasts that dimension, so
// [1, 1, Tq, Tk] and [B, 1, 1, Tk] masks need no copy.
struct MaskStrides {
  std::int64_t batch = 0, head = 0, query = 0, key = 0;
};

// Which keys each query may see; every part is optional and they combine. A
// query row that sees no key gives o = 0, lse = -inf and zero gradients.
template <class T>
struct AttentionMask {
  // Query i sees key j only if j <= i + (Tk - Tq): aligned at the bottom right,
  // so the last query sees every key (decoding with a cache of past keys).
  bool causal = false;
  // [B]: keys j >= key_lengths[b] are padding. Each length is in [0, Tk].
  const std::int64_t* key_lengths = nullptr;
  // Nonzero where query i may attend to key j.
  const std::uint8_t* allowed = nullptr;
  MaskStrides allowed_strides;
  // Added to the scores; -inf masks.
  const T* additive = nullptr;
  MaskStrides additive_strides;
};

// Inverted dropout on the attention weights: weight (b, head, i, j), at linear
// index n = ((b * h + head) * Tq + i) * Tk + j, is dropped when word n % 4 of
// philox4x32(offset + n / 4, seed), as a uniform in [0, 1), is below p;
// survivors are scaled by 1 / (1 - p). The backward regenerates the same mask.
struct AttentionDropout {
  double p = 0;  // in [0, 1); 0 turns dropout off
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;  // first Philox counter; see attention_dropout_counters
};

// The Philox counters one call consumes: the caller reserves this many.
inline std::uint64_t attention_dropout_counters(const AttentionDims& d) {
  return (static_cast<std::uint64_t>(d.batch * d.heads * d.q_len * d.k_len) + 3) / 4;
}

// A weight survives when the top 24 bits of its Philox word are at least this.
inline std::uint32_t dropout_threshold(double p) {
  return static_cast<std::uint32_t>(std::ceil(p * 16777216.0));
}

// Whether weight `index` survives dropout; the one definition both paths use.
inline bool dropout_keeps(const AttentionDropout& d, std::uint64_t index) {
  const auto words = philox4x32(d.offset + index / 4, d.seed);
  return (words[index % 4] >> 8) >= dropout_threshold(d.p);
}

// o [B, h, Tq, dv], lse [B, h, Tq] from q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv].
template <class T>
void attention_forward(const AttentionDims& dims, T scale, const AttentionMask<T>& mask,
                       const AttentionDropout& dropout, const T* q, const T* k, const T* v, T* o,
                       T* lse);

// dq [B, h, Tq, dh], dk [B, g, Tk, dh], dv [B, g, Tk, dv] from dout [B, h, Tq, dv] and the
// forward's inputs, o and lse (same mask and dropout). Heads sharing a kv head sum into it.
template <class T>
void attention_backward(const AttentionDims& dims, T scale, const AttentionMask<T>& mask,
                        const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                        const T* o, const T* dout, const T* lse, T* dq, T* dk, T* dv);

// The attention weights w [B, h, Tq, Tk] (after masking, before dropout),
// recomputed from q, k and the forward's lse, for callers that show them.
template <class T>
void attention_weights(const AttentionDims& dims, T scale, const AttentionMask<T>& mask, const T* q,
                       const T* k, const T* lse, T* w);

namespace ref {
// Materialises the scores of one (batch, head) at a time and accumulates in double.
template <class T>
void attention_forward(const AttentionDims& dims, T scale, const AttentionMask<T>& mask,
                       const AttentionDropout& dropout, const T* q, const T* k, const T* v, T* o,
                       T* lse);
// Recomputes the softmax and differentiates it the textbook way; needs neither o nor lse.
template <class T>
void attention_backward(const AttentionDims& dims, T scale, const AttentionMask<T>& mask,
                        const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                        const T* dout, T* dq, T* dk, T* dv);
// softmax of the masked scores, w [B, h, Tq, Tk].
template <class T>
void attention_weights(const AttentionDims& dims, T scale, const AttentionMask<T>& mask, const T* q,
                       const T* k, T* w);
}  // namespace ref

}  // namespace qkv::kernels
