#pragma once
// Multi-head attention (Vaswani et al. 2017) with h query heads and g key/value
// heads: MHA when g = h, grouped-query attention (Ainslie et al. 2023) when g
// divides h, multi-query attention (Shazeer 2019) when g = 1. Self-attention
// passes the same sequence as query, key and value; cross-attention takes key
// and value from another sequence (the encoder output).
//
//   q = query W_q^T [B, Tq, h dh], k = key W_k^T, v = value W_v^T [B, Tk, g dh],
//   head_i = softmax(q_i k_{i / (h/g)}^T / sqrt(dh) + mask) v_{i / (h/g)},
//   output = concat(head_1 .. head_h) W_o^T [B, Tq, d],   dh = d / h.
//
// Parameters: q_proj, k_proj, v_proj and out_proj, each a Linear with .weight
// and .bias. PyTorch's nn.MultiheadAttention packs the first three into
// in_proj_weight / in_proj_bias (or q_proj_weight, ... when kdim or vdim differ
// from d); nn/pytorch_import.h maps its state dict onto these names.
//
// Attention runs on the fused O(T)-memory kernel; asking for the weights
// recomputes them from the saved log-sum-exp rather than switching to a slower
// path. The weights returned are those before attention dropout (PyTorch
// returns them after it; in eval mode the two agree).

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "ops/attention.h"

namespace qkv::nn {

struct MultiHeadAttentionConfig {
  std::int64_t d_model = 0;       // d, width of the query and the output
  std::int64_t num_heads = 1;     // h; divides d
  std::int64_t num_kv_heads = 0;  // g; divides h; 0 means h (plain MHA)
  bool bias = true;               // biases on all four projections
  double dropout = 0;             // on the attention weights, in training
  std::int64_t kdim = 0;          // width of the key input; 0 means d
  std::int64_t vdim = 0;          // width of the value input; 0 means d
};

// Projected keys and values of earlier steps, per layer, for incremental
// decoding: [B, g, T_past, dh] each, undefined before the first step.
struct KeyValueCache {
  Tensor keys{}, values{};
  // Cross-attention: the key/value input is the same on every step, so it is
  // projected on the first call only and reused after.
  bool fixed = false;
  std::int64_t length() const { return keys.defined() ? keys.size(2) : 0; }
};

struct MultiHeadAttentionOptions {
  // Causal, key lengths, key_valid, allowed and additive masks, as in
  // ops/attention.h. With a cache, Tk counts the cached keys too and the causal
  // mask aligns at the bottom right, so new query i sees every cached key.
  AttentionMask mask{};
  bool need_weights = false;
  // Weights averaged over the heads [B, Tq, Tk], else per head [B, h, Tq, Tk].
  bool average_weights = true;
  // Appended to (self-attention) or filled once and reused (fixed); may be null.
  KeyValueCache* cache = nullptr;
  AttentionKernel kernel = AttentionKernel::fused;
};

struct MultiHeadAttentionOutput {
  Tensor output;   // [B, Tq, d]
  Tensor weights;  // undefined unless asked; see average_weights
};

class MultiHeadAttention : public Module {
 public:
  // Projection weights are Xavier-uniform and biases zero, as PyTorch
  // initialises nn.MultiheadAttention (per projection, where PyTorch's packed
  // in_proj_weight takes one bound for all three); out_proj.weight is
  // U(-1/sqrt(d), 1/sqrt(d)). gen also draws the dropout masks, so it must
  // outlive the module.
  explicit MultiHeadAttention(const MultiHeadAttentionConfig& config,
                              Generator& gen = default_generator());

  // query [B, Tq, d], key [B, Tk, kdim], value [B, Tk, vdim] -> output [B, Tq, d].
  MultiHeadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const MultiHeadAttentionOptions& options = {}) const;
  // Self-attention: forward(x, x, x, options).
  MultiHeadAttentionOutput forward(const Tensor& x,
                                   const MultiHeadAttentionOptions& options = {}) const {
    return forward(x, x, x, options);
  }

  std::string name() const override { return "MultiHeadAttention"; }
  std::string extra_repr() const override;

  const MultiHeadAttentionConfig& config() const { return config_; }
  std::int64_t head_dim() const { return config_.d_model / config_.num_heads; }
  const Linear& q_proj() const { return *q_proj_; }
  const Linear& k_proj() const { return *k_proj_; }
  const Linear& v_proj() const { return *v_proj_; }
  const Linear& out_proj() const { return *out_proj_; }

 private:
  // [B, T, n dh] -> [B, n, T, dh]
  Tensor split_heads(const Tensor& x, std::int64_t heads) const;

  MultiHeadAttentionConfig config_;
  Generator& gen_;
  std::shared_ptr<Linear> q_proj_, k_proj_, v_proj_, out_proj_;
};

}  // namespace qkv::nn
