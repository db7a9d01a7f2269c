#pragma once
// Greedy and beam search over a StepModel (SPEC section 5): from <bos>, one
// token per step for every live sequence, until <eos> or the length limit.
// Finished sequences leave the batch (StepModel::select drops their state), so
// later steps cost only what is still being decoded.

#include <cstdint>
#include <vector>

#include "decode/options.h"
#include "decode/step_model.h"

namespace qkv::decode {

struct Hypothesis {
  std::vector<std::int64_t> tokens;  // generated tokens, <eos> included if produced
  double log_prob = 0;               // sum of the tokens' log-probabilities
  double score = 0;                  // log_prob / length^length_penalty (beam ranking)
};

// The limit on generated tokens for a source of this length.
std::int64_t max_length_for(std::int64_t source_length, const DecodingOptions& options);

// model holds `batch` live sequences (one per sentence), each at its <bos>.
// max_lengths[i] caps sentence i. Returns one hypothesis per sentence; with
// options.sample the tokens are drawn instead of argmax.
std::vector<Hypothesis> greedy_search(StepModel& model, std::int64_t batch,
                                      const std::vector<std::int64_t>& max_lengths,
                                      const DecodingOptions& options);

// model holds batch * beam_size live sequences, rows b * beam .. of sentence b.
// Returns each sentence's finished hypotheses, best first (at most beam_size):
// a hypothesis ends at <eos>, or at its length limit. A sentence stops once it
// has beam_size finished hypotheses.
std::vector<std::vector<Hypothesis>> beam_search(StepModel& model, std::int64_t batch,
                                                 const std::vector<std::int64_t>& max_lengths,
                                                 const DecodingOptions& options);

}  // namespace qkv::decode
