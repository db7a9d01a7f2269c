#pragma once
// What a search drives: a model that, given the newest token of each of N
// live sequences, returns the next token's logits, and keeps per-sequence
// state (the key/value caches) that the search can reorder. Searches see
// nothing else of the model, so the same greedy and beam search serve the
// encoder-decoder Transformer and decoder-only models.

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace qkv::decode {

class StepModel {
 public:
  virtual ~StepModel() = default;
  // tokens int64 [N, 1], the newest token of each live sequence -> logits [N, V].
  virtual Tensor step(const Tensor& tokens) = 0;
  // Keeps the state of sequences rows[0], rows[1], ... in that order (rows may
  // repeat: a beam that spawns two continuations).
  virtual void select(const std::vector<std::int64_t>& rows) = 0;
};

}  // namespace qkv::decode
