#include "models/seq2seq.h"

#include <cmath>
#include <sstream>

#include "core/creation.h"
#include "core/view.h"
#include "ops/arith.h"
#include "ops/linear.h"
#include "ops/shape.h"

namespace qkv::models {

namespace {

const Seq2SeqConfig& checked(const Seq2SeqConfig& c) {
  check(c.src_vocab > 0 && c.tgt_vocab > 0, "Seq2SeqTransformer: vocabulary sizes must be ",
        "positive, got src_vocab ", c.src_vocab, ", tgt_vocab ", c.tgt_vocab);
  check(!c.shared_embeddings || c.src_vocab == c.tgt_vocab,
        "Seq2SeqTransformer: ", "shared_embeddings needs one vocabulary, got src_vocab ",
        c.src_vocab, " and tgt_vocab ", c.tgt_vocab);
  check(c.pad_id >= 0 && c.pad_id < std::min(c.src_vocab, c.tgt_vocab),
        "Seq2SeqTransformer: pad_id ", c.pad_id, " is outside the vocabulary");
  check(c.max_len > 0, "Seq2SeqTransformer: max_len must be positive, got ", c.max_len);
  check(c.dropout >= 0 && c.dropout < 1, "Seq2SeqTransformer: dropout ", c.dropout,
        " is outside [0, 1)");
  return c;
}

nn::TransformerLayerConfig layer_config(const Seq2SeqConfig& c) {
  return {.d_model = c.d_model,
          .num_heads = c.num_heads,
          .num_kv_heads = c.num_kv_heads,
          .d_ff = c.d_ff,
          .dropout = c.dropout,
          .attention_dropout = c.attention_dropout,
          .activation = c.activation,
          .norm_first = c.norm_first};
}

std::shared_ptr<nn::Embedding> embedding(std::int64_t vocab, const Seq2SeqConfig& c,
                                         Generator& gen) {
  auto e = std::make_shared<nn::Embedding>(vocab, c.d_model, c.pad_id, gen);
  view::copy_into(e->weight(), e->weight() * (1 / std::sqrt(double(c.d_model))));
  return e;
}

}  // namespace

Seq2SeqTransformer::Seq2SeqTransformer(const Seq2SeqConfig& config, Generator& gen)
    : config_(checked(config)) {
  const auto& c = config_;
  if (c.shared_embeddings) {
    src_embed_ = tgt_embed_ = register_module("embed", embedding(c.src_vocab, c, gen));
  } else {
    src_embed_ = register_module("src_embed", embedding(c.src_vocab, c, gen));
    tgt_embed_ = register_module("tgt_embed", embedding(c.tgt_vocab, c, gen));
  }
  if (c.positions == PositionKind::sinusoidal)
    sinusoidal_ = register_module("positions", std::make_shared<nn::SinusoidalPositionalEncoding>(
                                                   c.d_model, c.max_len, c.dropout, gen));
  else
    learned_ = register_module("positions", std::make_shared<nn::LearnedPositionalEmbedding>(
                                                c.max_len, c.d_model, c.dropout, gen));
  const nn::TransformerLayerConfig layers = layer_config(c);
  encoder_ = register_module("encoder", std::make_shared<nn::TransformerEncoder>(
                                            layers, c.encoder_layers, c.final_norm, gen));
  decoder_ = register_module("decoder", std::make_shared<nn::TransformerDecoder>(
                                            layers, c.decoder_layers, c.final_norm, gen));
  if (!c.tie_output)
    generator_ = register_module("generator",
                                 std::make_shared<nn::Linear>(c.d_model, c.tgt_vocab, true, gen));
}

Tensor Seq2SeqTransformer::embed(const nn::Embedding& table, const Tensor& ids,
                                 std::int64_t offset) const {
  check(ids.defined() && ids.dim() == 2 && ids.dtype() == DType::i64,
        "Seq2SeqTransformer: token ids must be int64 [B, T], got ",
        ids.defined() ? ids.shape() : Shape{});
  const Tensor x = table.forward(ids) * std::sqrt(double(config_.d_model));
  return sinusoidal_ ? sinusoidal_->forward(x, offset) : learned_->forward(x, offset);
}

Tensor Seq2SeqTransformer::not_padding(const Tensor& ids) const {
  const auto v = ids.to_vector<std::int64_t>();
  std::vector<float> valid(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) valid[i] = v[i] != config_.pad_id;
  return from_vector(valid, ids.shape());
}

Tensor Seq2SeqTransformer::encode(const Tensor& src, std::vector<Tensor>* weights) const {
  AttentionMask mask;
  mask.key_valid = not_padding(src);
  return encoder_->forward(embed(*src_embed_, src, 0), mask, weights);
}

Tensor Seq2SeqTransformer::decode(const Tensor& tgt, const Tensor& memory, const Tensor& src,
                                  nn::DecoderCache* cache, nn::DecoderWeights* weights) const {
  const std::int64_t offset = cache ? cache->length() : 0;
  nn::DecoderMasks masks;
  masks.memory.key_valid = not_padding(src);
  // With a cache the new positions' keys join the cached ones; only the new
  // ones can be checked for padding here, and decoding never feeds padding.
  if (!cache) masks.self.key_valid = not_padding(tgt);
  const Tensor h =
      decoder_->forward(embed(*tgt_embed_, tgt, offset), memory, masks, cache, weights);
  return generator_ ? generator_->forward(h) : linear(h, tgt_embed_->weight());
}

Tensor Seq2SeqTransformer::forward(const Tensor& src, const Tensor& tgt) const {
  return decode(tgt, encode(src), src);
}

std::string Seq2SeqTransformer::extra_repr() const {
  std::ostringstream os;
  const auto& c = config_;
  os << "d_model=" << c.d_model << ", heads=" << c.num_heads << ", layers=" << c.encoder_layers
     << "+" << c.decoder_layers << ", d_ff=" << c.d_ff
     << ", norm_first=" << (c.norm_first ? "true" : "false");
  return os.str();
}

}  // namespace qkv::models
