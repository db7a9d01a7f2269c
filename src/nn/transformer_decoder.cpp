#include "nn/transformer_decoder.h"

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

TransformerDecoderLayer::TransformerDecoderLayer(const TransformerLayerConfig& c, Generator& gen)
    : config_(c) {
  self_attn_ =
      register_module("self_attn", std::make_shared<MultiHeadAttention>(attention_config(c), gen));
  multihead_attn_ = register_module("multihead_attn",
                                    std::make_shared<MultiHeadAttention>(attention_config(c), gen));
  linear1_ = register_module("linear1", std::make_shared<Linear>(c.d_model, c.d_ff, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(c.dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<Linear>(c.d_ff, c.d_model, true, gen));
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  norm3_ = register_module("norm3", std::make_shared<LayerNorm>(c.d_model, c.layer_norm_eps));
  dropout1_ = register_module("dropout1", std::make_shared<Dropout>(c.dropout, gen));
  dropout2_ = register_module("dropout2", std::make_shared<Dropout>(c.dropout, gen));
  dropout3_ = register_module("dropout3", std::make_shared<Dropout>(c.dropout, gen));
}

Tensor TransformerDecoderLayer::forward(const Tensor& y, const Tensor& memory,
                                        const DecoderMasks& masks, DecoderLayerCache* cache,
                                        Tensor* self_weights, Tensor* cross_weights) const {
  auto self_block = [&](const Tensor& x) {
    MultiHeadAttentionOptions opt;
    opt.mask = masks.self;
    opt.need_weights = self_weights != nullptr;
    opt.average_weights = false;
    opt.cache = cache ? &cache->self_attn : nullptr;
    auto out = self_attn_->forward(x, opt);
    if (self_weights) *self_weights = out.weights;
    return dropout1_->forward(out.output);
  };
  auto cross_block = [&](const Tensor& x) {
    MultiHeadAttentionOptions opt;
    opt.mask = masks.memory;
    opt.need_weights = cross_weights != nullptr;
    opt.average_weights = false;
    opt.cache = cache ? &cache->cross_attn : nullptr;
    auto out = multihead_attn_->forward(x, memory, memory, opt);
    if (cross_weights) *cross_weights = out.weights;
    return dropout2_->forward(out.output);
  };
  auto ffn_block = [&](const Tensor& x) {
    return dropout3_->forward(
        linear2_->forward(dropout_->forward(activate(config_.activation, linear1_->forward(x)))));
  };
  if (config_.norm_first) {
    Tensor h = y + self_block(norm1_->forward(y));
    h = h + cross_block(norm2_->forward(h));
    return h + ffn_block(norm3_->forward(h));
  }
  Tensor h = norm1_->forward(y + self_block(y));
  h = norm2_->forward(h + cross_block(h));
  return norm3_->forward(h + ffn_block(h));
}

std::string TransformerDecoderLayer::extra_repr() const {
  std::ostringstream os;
  os << "d_ff=" << config_.d_ff << ", activation=" << activation_name(config_.activation)
     << ", norm_first=" << (config_.norm_first ? "true" : "false");
  return os.str();
}

TransformerDecoder::TransformerDecoder(const TransformerLayerConfig& config,
                                       std::int64_t num_layers, bool final_norm, Generator& gen) {
  check(num_layers >= 1, "TransformerDecoder: num_layers must be at least 1, got ", num_layers);
  layers_ = register_module("layers", std::make_shared<ModuleList<TransformerDecoderLayer>>());
  for (std::int64_t i = 0; i < num_layers; ++i)
    layers_->push_back(std::make_shared<TransformerDecoderLayer>(config, gen));
  if (final_norm)
    norm_ =
        register_module("norm", std::make_shared<LayerNorm>(config.d_model, config.layer_norm_eps));
}

Tensor TransformerDecoder::forward(const Tensor& y, const Tensor& memory, const DecoderMasks& masks,
                                   DecoderCache* cache, DecoderWeights* weights) const {
  if (cache && cache->layers.empty()) cache->layers.resize(num_layers());
  check(!cache || static_cast<std::int64_t>(cache->layers.size()) == num_layers(),
        "TransformerDecoder: the cache has ", cache ? cache->layers.size() : 0, " layers, the ",
        "decoder ", num_layers());
  if (weights) {
    weights->self.assign(num_layers(), Tensor());
    weights->cross.assign(num_layers(), Tensor());
  }
  Tensor h = y;
  for (std::int64_t i = 0; i < num_layers(); ++i)
    h = (*layers_)[i].forward(h, memory, masks, cache ? &cache->layers[i] : nullptr,
                              weights ? &weights->self[i] : nullptr,
                              weights ? &weights->cross[i] : nullptr);
  return norm_ ? norm_->forward(h) : h;
}

}  // namespace qkv::nn
