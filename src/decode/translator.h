#pragma once
// Text in, text out: sentences are tokenized, sorted by length into batches
// (little padding), decoded with greedy or beam search over the cached
// Seq2Seq step model, detokenized, and returned in the input order.

#include <cstdint>
#include <string>
#include <vector>

#include "data/bpe.h"
#include "decode/options.h"
#include "models/seq2seq.h"

namespace qkv::decode {

struct TranslateOptions {
  DecodingOptions decoding;
  std::int64_t batch_size = 64;  // sentences per batch
};

// The model should be in eval mode. Throws qkv::Error for an empty batch
// size; an empty sentence translates as the model continues from <eos>.
std::vector<std::string> translate(const models::Seq2SeqTransformer& model,
                                   const data::BpeTokenizer& tokenizer,
                                   const std::vector<std::string>& sentences,
                                   const TranslateOptions& options = {});

}  // namespace qkv::decode
