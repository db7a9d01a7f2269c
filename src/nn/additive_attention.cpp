#include "nn/additive_attention.h"

#include <sstream>

#include "ops/activation.h"
#include "ops/arith.h"
#include "ops/dropout.h"
#include "ops/matmul.h"
#include "ops/shape.h"

namespace qkv::nn {

AdditiveAttention::AdditiveAttention(std::int64_t query_size, std::int64_t key_size,
                                     std::int64_t hidden, double dropout, Generator& gen)
    : dropout_(dropout), gen_(gen) {
  check(dropout >= 0 && dropout < 1, "AdditiveAttention: dropout ", dropout, " is outside [0, 1)");
  w_q_ = register_module("W_q", std::make_shared<Linear>(query_size, hidden, false, gen));
  w_k_ = register_module("W_k", std::make_shared<Linear>(key_size, hidden, false, gen));
  w_v_ = register_module("w_v", std::make_shared<Linear>(hidden, 1, false, gen));
}

ScoredAttention AdditiveAttention::forward(const Tensor& queries, const Tensor& keys,
                                           const Tensor& values, const AttentionMask& mask,
                                           bool need_weights) const {
  check(queries.defined() && keys.defined() && values.defined() && queries.dim() == 3 &&
            keys.dim() == 3 && values.dim() == 3 && keys.size(0) == queries.size(0) &&
            values.size(0) == queries.size(0) && values.size(1) == keys.size(1),
        "AdditiveAttention: expected queries [B, Tq, dq], keys [B, Tk, dk], values [B, Tk, dv], "
        "got ",
        queries.defined() ? queries.shape() : Shape{}, ", ",
        keys.defined() ? keys.shape() : Shape{}, ", ", values.defined() ? values.shape() : Shape{});
  // [B, Tq, 1, a] + [B, 1, Tk, a]: every query-key pair, then w_v to one score.
  const Tensor features =
      tanh(add(unsqueeze(w_q_->forward(queries), 2), unsqueeze(w_k_->forward(keys), 1)));
  const Tensor scores = squeeze(w_v_->forward(features), 3);
  const Tensor weights = masked_softmax(scores, mask);
  const Tensor out = matmul(dropout(weights, dropout_, is_training(), gen_), values);
  return {out, need_weights ? weights : Tensor()};
}

std::string AdditiveAttention::extra_repr() const {
  std::ostringstream os;
  os << "query_size=" << w_q_->in_features() << ", key_size=" << w_k_->in_features()
     << ", hidden=" << w_q_->out_features() << ", dropout=" << dropout_;
  return os.str();
}

}  // namespace qkv::nn
