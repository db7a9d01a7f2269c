#include "models/vision_transformer.h"

#include <cmath>
#include <sstream>

#include "core/creation.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv::models {

namespace {

const VisionTransformerConfig& checked(const VisionTransformerConfig& c) {
  check(c.image_size > 0 && c.channels > 0, "VisionTransformer: image_size and channels must be ",
        "positive, got ", c.image_size, " and ", c.channels);
  check(c.patch_size > 0 && c.image_size % c.patch_size == 0, "VisionTransformer: patch_size ",
        c.patch_size, " must divide image_size ", c.image_size);
  check(c.d_model > 0 && c.depth > 0 && c.num_classes > 0, "VisionTransformer: d_model, depth ",
        "and num_classes must be positive, got ", c.d_model, ", ", c.depth, ", ", c.num_classes);
  check(c.mlp_ratio > 0, "VisionTransformer: mlp_ratio must be positive, got ", c.mlp_ratio);
  check(c.dropout >= 0 && c.dropout < 1, "VisionTransformer: dropout ", c.dropout,
        " is outside [0, 1)");
  return c;
}

nn::TransformerLayerConfig layer_config(const VisionTransformerConfig& c) {
  return {.d_model = c.d_model,
          .num_heads = c.num_heads,
          .num_kv_heads = c.num_kv_heads,
          .d_ff = static_cast<std::int64_t>(std::llround(c.mlp_ratio * double(c.d_model))),
          .dropout = c.dropout,
          .attention_dropout = c.attention_dropout,
          .activation = nn::Activation::gelu,
          .norm_first = true};
}

}  // namespace

VisionTransformer::VisionTransformer(const VisionTransformerConfig& config, Generator& gen)
    : config_(checked(config)) {
  const auto& c = config_;
  patch_embed_ = register_module("patch_embed",
                                 std::make_shared<nn::Linear>(c.patch_dim(), c.d_model, true, gen));
  cls_token_ = register_parameter("cls_token", randn({1, 1, c.d_model}, DType::f32, gen) * 0.02);
  positions_ = register_module("positions", std::make_shared<nn::LearnedPositionalEmbedding>(
                                                c.num_patches() + 1, c.d_model, c.dropout, gen));
  encoder_ = register_module(
      "encoder", std::make_shared<nn::TransformerEncoder>(layer_config(c), c.depth, true, gen));
  head_ =
      register_module("head", std::make_shared<nn::Linear>(c.d_model, c.num_classes, true, gen));
}

Tensor VisionTransformer::patchify(const Tensor& images) const {
  const auto& c = config_;
  check(images.defined() && images.dim() == 4 && images.size(1) == c.channels &&
            images.size(2) == c.image_size && images.size(3) == c.image_size,
        "VisionTransformer: images must be [B, ", c.channels, ", ", c.image_size, ", ",
        c.image_size, "], got ", images.defined() ? images.shape() : Shape{});
  const std::int64_t b = images.size(0), g = c.grid(), p = c.patch_size;
  // [B, C, g, P, g, P] -> [B, g, g, C, P, P]: each patch's pixels together.
  const Tensor blocks = permute(reshape(images, {b, c.channels, g, p, g, p}), {0, 2, 4, 1, 3, 5});
  return reshape(contiguous(blocks), {b, c.num_patches(), c.patch_dim()});
}

Tensor VisionTransformer::forward(const Tensor& images, std::vector<Tensor>* weights) const {
  const std::int64_t b = images.size(0);
  const Tensor tokens = patch_embed_->forward(patchify(images));
  const Tensor cls = expand(cls_token_, {b, 1, config_.d_model});
  const Tensor x = positions_->forward(cat({cls, tokens}, 1));
  const Tensor h = encoder_->forward(x, {}, weights);
  return head_->forward(select(h, 1, 0));
}

std::string VisionTransformer::extra_repr() const {
  std::ostringstream os;
  const auto& c = config_;
  os << "image=" << c.channels << "x" << c.image_size << "x" << c.image_size
     << ", patch=" << c.patch_size << ", d_model=" << c.d_model << ", depth=" << c.depth
     << ", heads=" << c.num_heads << ", mlp_ratio=" << c.mlp_ratio << ", classes=" << c.num_classes;
  return os.str();
}

}  // namespace qkv::models
