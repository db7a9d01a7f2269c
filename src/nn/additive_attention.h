#pragma once
// Additive attention (Bahdanau et al. 2015), for queries and keys of different
// widths (SPEC 2):
//   score(q, k) = w_v^T tanh(W_q q + W_k k),  W_q [a, dq], W_k [a, dk], w_v [1, a],
//   output = dropout(masked_softmax(scores)) V.
// No biases; `a` is the hidden width. The parameters are W_q.weight,
// W_k.weight and w_v.weight (the names of d2l.ai's layer). Cost O(B Tq Tk a):
// every query-key pair passes through the hidden layer.

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/dot_product_attention.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "ops/attention.h"

namespace qkv::nn {

class AdditiveAttention : public Module {
 public:
  // gen initialises the weights (as nn.Linear) and draws the dropout masks; it
  // must outlive the layer.
  AdditiveAttention(std::int64_t query_size, std::int64_t key_size, std::int64_t hidden,
                    double dropout = 0, Generator& gen = default_generator());

  // queries [B, Tq, dq], keys [B, Tk, dk], values [B, Tk, dv] -> output [B, Tq, dv].
  // Masks address [B, Tq, Tk] (key lengths [B] or [B, Tq], allowed, additive).
  ScoredAttention forward(const Tensor& queries, const Tensor& keys, const Tensor& values,
                          const AttentionMask& mask = {}, bool need_weights = false) const;

  std::string name() const override { return "AdditiveAttention"; }
  std::string extra_repr() const override;

 private:
  double dropout_;
  Generator& gen_;
  std::shared_ptr<Linear> w_q_, w_k_, w_v_;
};

}  // namespace qkv::nn
