#pragma once
// The one options struct of autoregressive decoding (SPEC sections 5 and 12):
// which search, how tokens are picked, and when to stop. Passed down whole to
// the search, the sampler and the logits processors.

#include <cstdint>

namespace qkv::decode {

struct DecodingOptions {
  // 1: greedy (or sampling); more: beam search with this many beams.
  std::int64_t beam_size = 1;
  // Beam hypotheses are ranked by log P / length^length_penalty (length
  // counts the generated tokens, <eos> included): 0 ranks by log P alone,
  // which favours short output; 1 by the mean log-probability per token.
  double length_penalty = 1.0;
  // Generated tokens at most, <eos> included; also max_length_ratio x the
  // source length + 10 when that is smaller (a translation rarely needs more).
  std::int64_t max_length = 128;
  double max_length_ratio = 2.0;  // 0 turns the source-relative limit off
  // <eos> cannot be chosen before this many tokens.
  std::int64_t min_length = 1;

  // Sampling instead of argmax (greedy search only): logits / temperature,
  // then only the top_k most likely tokens (0: all) and the smallest set whose
  // probability reaches top_p (1: all; Holtzman et al. 2020).
  bool sample = false;
  double temperature = 1.0;
  std::int64_t top_k = 0;
  double top_p = 1.0;
  std::uint64_t seed = 0;

  std::int64_t bos_id = 1, eos_id = 2, pad_id = 0;
};

}  // namespace qkv::decode
