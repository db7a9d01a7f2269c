#pragma once
// The Transformer encoder: self-attention and a position-wise feed-forward
// block, each wrapped in a residual connection and LayerNorm, N times.
//   post-norm: x = norm1(x + dropout1(self_attn(x)))
//              x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
//   pre-norm:  x = x + dropout1(self_attn(norm1(x))); x = x + dropout2(ffn(norm2(x)))
// Children are named as in torch.nn.TransformerEncoderLayer (self_attn,
// linear1, dropout, linear2, norm1, norm2, dropout1, dropout2) and the stack as
// torch.nn.TransformerEncoder (layers.N., norm), so with nn/pytorch_import.h
// the weights map 1:1.

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

class TransformerEncoderLayer : public Module {
 public:
  // gen initialises the weights and draws the dropout masks; it must outlive the layer.
  explicit TransformerEncoderLayer(const TransformerLayerConfig& config,
                                   Generator& gen = default_generator());

  // x [B, S, d] -> [B, S, d]. mask: which keys each position may attend to
  // (key padding as key_lengths or key_valid). weights, when not null, receives
  // the self-attention weights per head [B, h, S, S].
  Tensor forward(const Tensor& x, const AttentionMask& mask = {}, Tensor* weights = nullptr) const;

  std::string name() const override { return "TransformerEncoderLayer"; }
  std::string extra_repr() const override;

  const MultiHeadAttention& self_attn() const { return *self_attn_; }

 private:
  Tensor attend(const Tensor& x, const AttentionMask& mask, Tensor* weights) const;
  Tensor feed_forward(const Tensor& x) const;

  TransformerLayerConfig config_;
  std::shared_ptr<MultiHeadAttention> self_attn_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  std::shared_ptr<Dropout> dropout1_, dropout2_;
};

class TransformerEncoder : public Module {
 public:
  // num_layers copies of the layer; final_norm adds a LayerNorm after the last
  // (pre-norm stacks need it; torch.nn.Transformer adds it in both cases).
  TransformerEncoder(const TransformerLayerConfig& config, std::int64_t num_layers, bool final_norm,
                     Generator& gen = default_generator());

  // x [B, S, d] -> memory [B, S, d]. weights, when not null, receives each
  // layer's self-attention weights [B, h, S, S].
  Tensor forward(const Tensor& x, const AttentionMask& mask = {},
                 std::vector<Tensor>* weights = nullptr) const;

  std::string name() const override { return "TransformerEncoder"; }

  std::int64_t num_layers() const { return layers_->size(); }
  const TransformerEncoderLayer& layer(std::int64_t i) const { return (*layers_)[i]; }

 private:
  std::shared_ptr<ModuleList<TransformerEncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;  // null without final_norm
};

}  // namespace qkv::nn
