#pragma once
// The settings shared by the Transformer's encoder and decoder layers
// (Vaswani et al. 2017; SPEC section 5).

#include <cstdint>

#include "nn/activation.h"

namespace qkv::nn {

struct TransformerLayerConfig {
  std::int64_t d_model = 512;
  std::int64_t num_heads = 8;
  std::int64_t num_kv_heads = 0;   // 0: num_heads (MHA); fewer for GQA, 1 for MQA
  std::int64_t d_ff = 2048;        // hidden width of the position-wise feed-forward block
  double dropout = 0.1;            // on each sublayer's output and inside the FFN
  double attention_dropout = 0.1;  // on the attention weights
  Activation activation = Activation::relu;
  // false: post-norm, LayerNorm(x + Sublayer(x)), as in the paper;
  // true: pre-norm, x + Sublayer(LayerNorm(x)), which trains deep stacks
  // without warm-up tricks (Xiong et al. 2020).
  bool norm_first = false;
  double layer_norm_eps = 1e-5;
  bool bias = true;  // on the attention projections (the FFN always has biases)
};

}  // namespace qkv::nn
