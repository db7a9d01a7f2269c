#pragma once
// Scaled dot-product attention and masked softmax, differentiable.
//
// Masks say which keys a query may see. Every part is optional and they
// combine: a key is visible only if every given part allows it. Masked keys get
// weight exactly 0; a query row that sees no key gives output 0, weights 0 and
// zero gradients, never NaN.

#include <cstdint>
#include <optional>

#include "core/rng.h"
#include "core/tensor.h"

namespace qkv {

enum class AttentionKernel {
  fused,      // tiled, O(T) memory (kernels/attention_flash.cpp)
  reference,  // materialises the scores (the kernels' oracle)
};

// Every part defaults to empty, so {.causal = true} names only what it sets.
struct AttentionMask {
  // Query i sees key j only if j <= i + (Tk - Tq): aligned at the bottom right,
  // so with cached past keys (Tq < Tk) the last query sees every key.
  bool causal = false;
  // int64 [B] (keys j >= len are padding) or [B, Tq] (per query row); each length in [0, Tk].
  Tensor key_lengths{};
  // [B, Tk]: nonzero where key j of batch b is a real token, 0 for padding
  // anywhere in the sequence (left padding too); any dtype. Combines with
  // `allowed`, which alone cannot say both "this pattern" and "these keys".
  Tensor key_valid{};
  // Nonzero where a query may attend to a key; any dtype; broadcastable to
  // [B, h, Tq, Tk] (e.g. [Tq, Tk], [B, 1, 1, Tk], [B, h, Tq, Tk]).
  Tensor allowed{};
  // Floating, broadcastable to [B, h, Tq, Tk]; added to the scores, -inf masks.
  Tensor additive{};
};

struct AttentionOptions {
  AttentionMask mask;
  // Multiplies q . k; default 1 / sqrt(dh).
  std::optional<double> scale;
  // Dropout probability on the weights, in [0, 1); applied only when training.
  double dropout = 0;
  bool training = false;
  // Source of the dropout mask; default_generator() when null.
  Generator* generator = nullptr;
  // Also return the weights. The fused kernel recomputes them from the saved
  // log-sum-exp, so asking does not change how the output is computed.
  bool need_weights = false;
  AttentionKernel kernel = AttentionKernel::fused;
};

struct AttentionOutput {
  Tensor output;   // [B, h, Tq, dv]
  Tensor weights;  // [B, h, Tq, Tk] after masking, before dropout; undefined unless asked
};

// q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv]; g divides h and query
// head i reads key/value head i / (h / g) (MHA g = h, GQA, MQA g = 1).
AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionOptions& options = {});

// Softmax over the last dim of scores [B, Tq, Tk] or [B, h, Tq, Tk] (3-D
// scores are read as h = 1) with the mask applied first.
Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask);

}  // namespace qkv
