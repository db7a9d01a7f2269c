#pragma once
// Batches for training a translation model: sentence pairs of similar length
// grouped so that padding is small, each batch holding about `max_tokens`
// tokens (padded source plus padded target), the order shuffled by the run's
// seed. The batches of epoch e are a pure function of (examples, options, e),
// so a resumed run finds its place by (epoch, batch index) alone.

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace qkv::data {

// One pair as token ids, without <bos>/<eos> (the batcher adds them).
struct Example {
  std::vector<std::int64_t> source, target;
};

struct BatchingOptions {
  std::int64_t max_tokens = 4096;  // per batch: B x (max source + max target length)
  std::int64_t max_length = 256;   // longer sequences (with <bos>/<eos>) are cut to this
  bool shuffle = true;
  std::uint64_t seed = 0;
  std::int64_t pad_id = 0, bos_id = 1, eos_id = 2;
};

struct Batch {
  Tensor source;      // int64 [B, S]: tokens, <eos>, padding
  Tensor target_in;   // int64 [B, T]: <bos>, tokens, padding (teacher forcing input)
  Tensor target_out;  // int64 [B, T]: tokens, <eos>, padding (what is predicted)
  std::vector<std::int64_t> indices;  // which examples, in row order
  std::int64_t target_tokens = 0;     // non-padding entries of target_out
};

// All batches of one epoch. Pairs are sorted by length, cut into batches
// under the token budget (a single pair over the budget still forms its own
// batch), then the batch order is shuffled with (seed, epoch); with shuffle
// off the batches keep length order. Throws qkv::Error for no examples, an
// empty side, or a budget below 1.
std::vector<Batch> make_batches(const std::vector<Example>& examples,
                                const BatchingOptions& options, std::int64_t epoch);

// The source side alone, for translation: rows in the given order, each
// tokens + <eos>, right-padded.
Tensor pad_sources(const std::vector<std::vector<std::int64_t>>& sources,
                   const BatchingOptions& options);

}  // namespace qkv::data
