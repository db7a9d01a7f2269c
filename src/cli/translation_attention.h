#pragma once
// Where a translator looked (SPEC section 8), drawn by `qkv attention` and
// `qkv demo`: the sentence is translated, the translation teacher-forced back
// through the decoder to read every position's weights, and the decoder's
// cross-attention (target x source tokens; the alignment of the translation)
// and the encoder's self-attention are written as heat maps, one image per
// layer with a panel per head, plus the cross-attention averaged over heads
// and layers.

#include <string>
#include <vector>

#include "data/bpe.h"
#include "decode/options.h"
#include "models/seq2seq.h"

namespace qkv::cli {

struct TranslationAttention {
  std::string translation;
  std::string average;             // the averaged cross-attention image
  std::vector<std::string> files;  // every image written, the average among them
};

// The model must be in eval mode. Creates `out` if needed; throws qkv::Error
// for an empty text or a directory that cannot be created.
TranslationAttention draw_translation_attention(const models::Seq2SeqTransformer& model,
                                                const data::BpeTokenizer& tokenizer,
                                                const std::string& text,
                                                const decode::DecodingOptions& decoding,
                                                const std::string& out);

}  // namespace qkv::cli
