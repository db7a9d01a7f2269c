#pragma once
// Picking the next token from one row of logits: argmax, or a draw from the
// softmax of logits / temperature restricted to the top_k tokens and to the
// smallest set reaching probability top_p (DecodingOptions).

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "decode/options.h"

namespace qkv::decode {

// The index of the largest logit (the first of equals); -inf entries are
// banned and never win unless all are.
std::int64_t argmax(const float* logits, std::int64_t n);

// log softmax of the row, in double.
std::vector<double> log_softmax(const float* logits, std::int64_t n);

// A token drawn with options' temperature, top_k and top_p; one uniform from gen.
std::int64_t sample(const float* logits, std::int64_t n, const DecodingOptions& options,
                    Generator& gen);

}  // namespace qkv::decode
