#include "nn/transformer_encoder.h"

#include <sstream>

#include "ops/arith.h"

namespace qkv::nn {

namespace {

MultiHeadAttentionConfig attention_config(const TransformerLayerConfig& c) {
  return {.d_model = c.d_model,
          .num_heads = c.num_heads,
          .num_kv_heads = c.num_kv_heads,
          .bias = c.bias,
          .dropout = c.attention_dropout};
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerLayerConfig& c, Generator& gen)
    : config_(c) {
  self_attn_ =
      register_module("self_attn", std::make_shared<MultiHeadAttention>(attention_config(c), gen));
  linear1_ = register_module("linear1", std::make_shared<Linear>(c.d_model, c.d_ff, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(c.dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<Linear>(c.d_ff, c.d_model, true, gen));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(c.dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(c.dropout, gen));
}

Tensor TransformerEncoderLayer::attend(const Tensor& x, const AttentionMask& mask,
                                       Tensor* weights) const {
  MultiHeadAttentionOptions opt;
  opt.mask = mask;
  opt.need_weights = weights != nullptr;
  opt.average_weights = false;
  auto out = self_attn_->forward(x, opt);
  if (weights) *weights = out.weights;
  return dropout1_->forward(out.output);
}

Tensor TransformerEncoderLayer::feed_forward(const Tensor& x) const {
  return dropout2_->forward(
      linear2_->forward(dropout_->forward(activate(config_.activation, linear1_->forward(x)))));
}

Tensor TransformerEncoderLayer::forward(const Tensor& x, const AttentionMask& mask,
                                        Tensor* weights) const {
  if (config_.norm_first) {
    const Tensor h = x + attend(norm1_->forward(x), mask, weights);
    return h + feed_forward(norm2_->forward(h));
  }
  const Tensor h = norm1_->forward(x + attend(x, mask, weights));
  return norm2_->forward(h + feed_forward(h));
}

std::string TransformerEncoderLayer::extra_repr() const {
  std::ostringstream os;
  os << "d_ff=" << config_.d_ff << ", activation=" << activation_name(config_.activation)
     << ", norm_first=" << (config_.norm_first ? "true" : "false");
  return os.str();
}

TransformerEncoder::TransformerEncoder(const TransformerLayerConfig& config,
                                       std::int64_t num_layers, bool final_norm, Generator& gen) {
  check(num_layers >= 1, "TransformerEncoder: num_layers must be at least 1, got ", num_layers);
  layers_ = register_module("layers", std::make_shared<ModuleList<TransformerEncoderLayer>>());
  for (std::int64_t i = 0; i < num_layers; ++i)
    layers_->push_back(std::make_shared<TransformerEncoderLayer>(config, gen));
  if (final_norm)
    norm_ =
        register_module("norm", std::make_shared<LayerNorm>(config.d_model, config.layer_norm_eps));
}

Tensor TransformerEncoder::forward(const Tensor& x, const AttentionMask& mask,
                                   std::vector<Tensor>* weights) const {
  if (weights) weights->assign(num_layers(), Tensor());
  Tensor h = x;
  for (std::int64_t i = 0; i < num_layers(); ++i)
    h = (*layers_)[i].forward(h, mask, weights ? &(*weights)[i] : nullptr);
  return norm_ ? norm_->forward(h) : h;
}

}  // namespace qkv::nn
