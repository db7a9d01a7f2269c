#pragma once
// The encoder-decoder Transformer as a StepModel: the source is encoded once;
// each step feeds the newest target tokens through the decoder, whose
// self-attention keys and values are cached and whose cross-attention keys and
// values are projected from the memory on the first step only.

#include <cstdint>
#include <vector>

#include "decode/step_model.h"
#include "models/seq2seq.h"
#include "nn/transformer_decoder.h"

namespace qkv::decode {

class Seq2SeqStep : public StepModel {
 public:
  // src int64 [B, S]; `copies` live sequences per source sentence (the beam
  // size), rows b * copies .. (b + 1) * copies - 1 for sentence b. The model
  // must outlive this object and should be in eval mode.
  Seq2SeqStep(const models::Seq2SeqTransformer& model, const Tensor& src, std::int64_t copies = 1);

  Tensor step(const Tensor& tokens) override;
  void select(const std::vector<std::int64_t>& rows) override;

  // Source lengths without padding, per live sequence.
  const std::vector<std::int64_t>& source_lengths() const { return lengths_; }

 private:
  const models::Seq2SeqTransformer& model_;
  Tensor src_;     // [N, S], the source of each live sequence
  Tensor memory_;  // [N, S, d]; dropped once the cross-attention cache holds its projections
  nn::DecoderCache cache_;
  std::vector<std::int64_t> lengths_;
};

}  // namespace qkv::decode
