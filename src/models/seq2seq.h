#pragma once
// The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et
// al. 2017; SPEC section 5) for translation: token embeddings scaled by
// sqrt(d) plus positions, an encoder over the source, a decoder over the
// target attending to the encoder's output, and a linear map to target-token
// logits.
//
// Parameters: embed.weight (shared_embeddings) or src_embed.weight and
// tgt_embed.weight; positions.weight with learned positions; encoder.* and
// decoder.* as torch.nn.TransformerEncoder / TransformerDecoder name them;
// generator.weight and generator.bias unless the output is tied to the target
// embedding (then the logits are h E^T, no bias, as Press & Wolf 2017).
//
// Padding: any token equal to pad_id, on either side, is a padding key and is
// never attended to; padded target positions give logits the loss ignores.

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/embedding.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/positional_encoding.h"
#include "nn/transformer_decoder.h"
#include "nn/transformer_encoder.h"

namespace qkv::models {

enum class PositionKind { sinusoidal, learned };

struct Seq2SeqConfig {
  std::int64_t src_vocab = 8000;  // source vocabulary size
  std::int64_t tgt_vocab = 8000;  // target vocabulary size; equal to src_vocab when shared
  std::int64_t d_model = 256;
  std::int64_t num_heads = 8;
  std::int64_t num_kv_heads = 0;  // 0: num_heads (MHA); fewer for GQA, 1 for MQA
  std::int64_t encoder_layers = 3;
  std::int64_t decoder_layers = 3;
  std::int64_t d_ff = 512;
  double dropout = 0.1;            // embeddings + positions, sublayer outputs, inside the FFN
  double attention_dropout = 0.1;  // on the attention weights
  nn::Activation activation = nn::Activation::relu;
  bool norm_first = false;  // pre-norm layers instead of the paper's post-norm
  // A LayerNorm after each stack, as torch.nn.Transformer always adds.
  bool final_norm = true;
  PositionKind positions = PositionKind::sinusoidal;
  // One table for source and target tokens (a joint vocabulary).
  bool shared_embeddings = true;
  // The output projection is the target embedding's transpose.
  bool tie_output = true;
  std::int64_t max_len = 256;  // longest source or target sequence
  std::int64_t pad_id = 0;
};

class Seq2SeqTransformer : public nn::Module {
 public:
  // Checks the config and throws qkv::Error naming the bad field. Embeddings
  // are N(0, 1/d), so embeddings scaled by sqrt(d) have unit-variance entries
  // like the positions they are added to; the layers initialise as PyTorch's.
  // gen also draws the dropout masks and must outlive the model.
  explicit Seq2SeqTransformer(const Seq2SeqConfig& config, Generator& gen = default_generator());

  // src int64 [B, S] -> memory [B, S, d]. weights, when not null, receives each
  // encoder layer's self-attention weights [B, h, S, S].
  Tensor encode(const Tensor& src, std::vector<Tensor>* weights = nullptr) const;

  // tgt int64 [B, T] (shifted right: <bos> first), memory from encode(src)
  // -> logits [B, T, tgt_vocab]. With a cache, tgt holds only the new
  // positions (their offset is cache->length()) and the memory's keys and
  // values are projected on the first call only.
  Tensor decode(const Tensor& tgt, const Tensor& memory, const Tensor& src,
                nn::DecoderCache* cache = nullptr, nn::DecoderWeights* weights = nullptr) const;

  // Teacher forcing: decode(tgt, encode(src), src).
  Tensor forward(const Tensor& src, const Tensor& tgt) const;

  std::string name() const override { return "Seq2SeqTransformer"; }
  std::string extra_repr() const override;

  const Seq2SeqConfig& config() const { return config_; }

 private:
  // ids [B, T] -> dropout(E[ids] sqrt(d) + P[offset : offset + T])
  Tensor embed(const nn::Embedding& table, const Tensor& ids, std::int64_t offset) const;
  Tensor not_padding(const Tensor& ids) const;

  Seq2SeqConfig config_;
  std::shared_ptr<nn::Embedding> src_embed_, tgt_embed_;  // the same module when shared
  std::shared_ptr<nn::SinusoidalPositionalEncoding> sinusoidal_;
  std::shared_ptr<nn::LearnedPositionalEmbedding> learned_;
  std::shared_ptr<nn::TransformerEncoder> encoder_;
  std::shared_ptr<nn::TransformerDecoder> decoder_;
  std::shared_ptr<nn::Linear> generator_;  // null when tied
};

}  // namespace qkv::models
