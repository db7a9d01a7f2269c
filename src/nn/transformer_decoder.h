#pragma once
// The Transformer decoder: masked self-attention over the target, attention
// over the encoder's output (memory), and a position-wise feed-forward block,
// each with a residual connection and LayerNorm, N times.
//   post-norm: y = norm1(y + dropout1(self_attn(y, causal)))
//              y = norm2(y + dropout2(multihead_attn(y, memory)))
//              y = norm3(y + dropout3(ffn(y)))
//   pre-norm:  y = y + dropout1(self_attn(norm1(y))), and likewise norm2, norm3.
// Names as torch.nn.TransformerDecoderLayer / TransformerDecoder (self_attn,
// multihead_attn, linear1, dropout, linear2, norm1..3, dropout1..3; layers.N.,
// norm).
//
// Incremental decoding passes a DecoderCache: each layer's self-attention keys
// and values grow by the new positions, and the memory's keys and values are
// projected on the first step only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "nn/dropout.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"
#include "nn/multi_head_attention.h"
#include "nn/transformer_config.h"

namespace qkv::nn {

// One layer's caches.
struct DecoderLayerCache {
  KeyValueCache self_attn;
  KeyValueCache cross_attn{.fixed = true};
};

// The caches of a whole decoder stack, one entry per layer; empty before the
// first step (the decoder sizes it).
struct DecoderCache {
  std::vector<DecoderLayerCache> layers;
  // Target positions decoded so far (the offset of the next step's positions).
  std::int64_t length() const { return layers.empty() ? 0 : layers[0].self_attn.length(); }
};

struct DecoderMasks {
  // Target self-attention: causal by default, with the target's key padding.
  AttentionMask self = {.causal = true};
  // Cross-attention: the memory's key padding.
  AttentionMask memory;
};

class TransformerDecoderLayer : public Module {
 public:
  // gen initialises the weights and draws the dropout masks; it must outlive the layer.
  explicit TransformerDecoderLayer(const TransformerLayerConfig& config,
                                   Generator& gen = default_generator());

  // y [B, T, d], memory [B, S, d] -> [B, T, d]. With a cache, y holds only the
  // new positions and memory may be undefined after the first step.
  // self_weights / cross_weights, when not null, receive the weights per head
  // [B, h, T, T_total] and [B, h, T, S].
  Tensor forward(const Tensor& y, const Tensor& memory, const DecoderMasks& masks = {},
                 DecoderLayerCache* cache = nullptr, Tensor* self_weights = nullptr,
                 Tensor* cross_weights = nullptr) const;

  std::string name() const override { return "TransformerDecoderLayer"; }
  std::string extra_repr() const override;

  const MultiHeadAttention& self_attn() const { return *self_attn_; }
  const MultiHeadAttention& multihead_attn() const { return *multihead_attn_; }

 private:
  TransformerLayerConfig config_;
  std::shared_ptr<MultiHeadAttention> self_attn_, multihead_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
  std::shared_ptr<Dropout> dropout1_, dropout2_, dropout3_;
};

// Per-layer attention weights of one decoder pass, each [B, h, T, *].
struct DecoderWeights {
  std::vector<Tensor> self, cross;
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const TransformerLayerConfig& config, std::int64_t num_layers, bool final_norm,
                     Generator& gen = default_generator());

  // y [B, T, d], memory [B, S, d] -> [B, T, d].
  Tensor forward(const Tensor& y, const Tensor& memory, const DecoderMasks& masks = {},
                 DecoderCache* cache = nullptr, DecoderWeights* weights = nullptr) const;

  std::string name() const override { return "TransformerDecoder"; }

  std::int64_t num_layers() const { return layers_->size(); }
  const TransformerDecoderLayer& layer(std::int64_t i) const { return (*layers_)[i]; }

 private:
  std::shared_ptr<ModuleList<TransformerDecoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

}  // namespace qkv::nn
