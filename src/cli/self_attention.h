#pragma once
// The self-attention example (SPEC sections 3, 4 and 8): a real sentence from
// Multi30k, its words as vectors with sinusoidal positions added, attended to
// by multi-head self-attention whose projections are the identity, so each
// head compares its own slice of the features. Run by `qkv self-attention`
// and `qkv demo`.

#include <cstdint>
#include <string>
#include <vector>

namespace qkv::cli {

struct SelfAttentionOptions {
  std::string text;  // empty: the first sentence of Multi30k's test2016.en
  std::int64_t d_model = 64;
  std::int64_t heads = 4;
  std::string out = "out/self-attention";
};

struct SelfAttentionResult {
  std::vector<std::string> tokens;
  std::vector<std::string> files;
};

// Prints the tokens and, for each head, the key each query attends to most;
// writes the heat maps of every head (queries x keys, tokens on the axes).
SelfAttentionResult run_self_attention(const SelfAttentionOptions& options);

}  // namespace qkv::cli
