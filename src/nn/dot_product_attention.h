#pragma once
// Scaled dot-product attention as a layer (SPEC 2): one head, no projections,
//   output = dropout(softmax(Q K^T / sqrt(dk) + mask)) V,
// for queries and keys of the same width dk. The 1/sqrt(dk) keeps the dot
// products' variance near 1 for unit-variance inputs, so the softmax does not
// saturate.

#include <string>

#include "core/rng.h"
#include "nn/module.h"
#include "ops/attention.h"

namespace qkv::nn {

// What the scoring layers return: the pooled values, and the attention
// weights [B, Tq, Tk] (before dropout) when asked for.
struct ScoredAttention {
  Tensor output;
  Tensor weights;
};

class DotProductAttention : public Module {
 public:
  // gen draws the dropout masks and must outlive the layer.
  explicit DotProductAttention(double dropout = 0, Generator& gen = default_generator());

  // queries [B, Tq, dk], keys [B, Tk, dk], values [B, Tk, dv] -> output [B, Tq, dv].
  // Masks address [B, Tq, Tk] (key lengths [B] or [B, Tq], allowed, additive).
  ScoredAttention forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                          const AttentionMask& mask = {}, bool need_weights = false) const;

  std::string name() const override { return "DotProductAttention"; }
  std::string extra_repr() const override;

 private:
  double dropout_;
  Generator& gen_;
};

}  // namespace qkv::nn
