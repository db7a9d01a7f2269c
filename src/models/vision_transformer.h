#pragma once
// The Vision Transformer (Dosovitskiy et al. 2021; SPEC section 9): an image
// cut into P x P patches, each flattened and mapped linearly to d_model, a
// learned [CLS] token in front, learned position embeddings added, a stack of
// pre-norm encoder layers with GELU, a final LayerNorm, and a linear head on
// the [CLS] position.
//
// Parameters: patch_embed.weight [d, C P P] and .bias (the patch's pixels are
// flattened channel, row, column: the order of a stride-P convolution's
// kernel), cls_token [1, 1, d], positions.weight [N + 1, d], encoder.* as
// torch.nn.TransformerEncoder names them (encoder.norm is the final
// LayerNorm), head.weight and head.bias.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/positional_encoding.h"
#include "nn/transformer_encoder.h"

namespace qkv::models {

struct VisionTransformerConfig {
  std::int64_t image_size = 28;  // square images of this side
  std::int64_t channels = 1;
  std::int64_t patch_size = 4;  // must divide image_size
  std::int64_t d_model = 64;
  std::int64_t depth = 6;  // encoder layers
  std::int64_t num_heads = 4;
  std::int64_t num_kv_heads = 0;  // 0: num_heads
  double mlp_ratio = 2.0;         // feed-forward width = mlp_ratio x d_model
  double dropout = 0.1;           // after the position embeddings, sublayer outputs, in the MLP
  double attention_dropout = 0.0;
  std::int64_t num_classes = 10;

  std::int64_t grid() const { return image_size / patch_size; }
  std::int64_t num_patches() const { return grid() * grid(); }
  std::int64_t patch_dim() const { return channels * patch_size * patch_size; }
};

class VisionTransformer : public nn::Module {
 public:
  // Checks the config and throws qkv::Error naming the bad field. The [CLS]
  // token and positions start at N(0, 0.02^2) as in ViT; the other layers
  // initialise as PyTorch's. gen also draws the dropout masks and must outlive
  // the model.
  explicit VisionTransformer(const VisionTransformerConfig& config,
                             Generator& gen = default_generator());

  // images float32 [B, C, H, W] -> logits [B, num_classes]. weights, when not
  // null, receives each layer's self-attention weights [B, h, N + 1, N + 1]
  // (position 0 is [CLS]).
  Tensor forward(const Tensor& images, std::vector<Tensor>* weights = nullptr) const;

  // The patches of the images as rows: [B, C, H, W] -> [B, N, C P P], patch
  // (i, j) at row i * grid + j.
  Tensor patchify(const Tensor& images) const;

  std::string name() const override { return "VisionTransformer"; }
  std::string extra_repr() const override;

  const VisionTransformerConfig& config() const { return config_; }

 private:
  VisionTransformerConfig config_;
  std::shared_ptr<nn::Linear> patch_embed_;
  Tensor cls_token_;
  std::shared_ptr<nn::LearnedPositionalEmbedding> positions_;
  std::shared_ptr<nn::TransformerEncoder> encoder_;
  std::shared_ptr<nn::Linear> head_;
};

}  // namespace qkv::models
