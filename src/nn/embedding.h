#pragma once
// Embedding: a table of V vectors of width d, looked up by int64 id, as
// torch.nn.Embedding.

#include <cstdint>
#include <optional>
#include <string>

#include "core/rng.h"
#include "nn/module.h"

namespace qkv::nn {

class Embedding : public Module {
 public:
  // weight [V, d] ~ N(0, 1) (PyTorch's init); the padding_idx row (negative
  // counts from the end) starts at zero and never receives a gradient.
  Embedding(std::int64_t num_embeddings, std::int64_t dim,
            std::optional<std::int64_t> padding_idx = std::nullopt,
            Generator& gen = default_generator());

  // ids int64 [..] -> [.., d]
  Tensor forward(const Tensor& ids) const;

  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override;

  std::int64_t num_embeddings() const { return weight_.size(0); }
  std::int64_t dim() const { return weight_.size(1); }
  std::optional<std::int64_t> padding_idx() const { return padding_idx_; }
  const Tensor& weight() const { return weight_; }

 private:
  std::optional<std::int64_t> padding_idx_;
  Tensor weight_;
};

}  // namespace qkv::nn
