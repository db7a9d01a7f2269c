#include "nn/dot_product_attention.h"

#include <sstream>

#include "ops/shape.h"

namespace qkv::nn {

namespace {

// A [B, Tq, Tk]-addressed mask read as one over [B, 1, Tq, Tk].
Tensor one_head(const Tensor& t) { return t.defined() && t.dim() == 3 ? unsqueeze(t, 1) : t; }

}  // namespace

DotProductAttention::DotProductAttention(double dropout, Generator& gen)
    : dropout_(dropout), gen_(gen) {
  check(dropout >= 0 && dropout < 1, "DotProductAttention: dropout ", dropout,
        " is outside [0, 1)");
}

ScoredAttention DotProductAttention::forward(const Tensor& queries, const Tensor& keys,
                                             const Tensor& values, const AttentionMask& mask,
                                             bool need_weights) const {
  check(queries.defined() && keys.defined() && values.defined() && queries.dim() == 3 &&
            keys.dim() == 3 && values.dim() == 3,
        "DotProductAttention: expected queries [B, Tq, dk], keys [B, Tk, dk], values "
        "[B, Tk, dv], got ",
        queries.defined() ? queries.shape() : Shape{}, ", ",
        keys.defined() ? keys.shape() : Shape{}, ", ", values.defined() ? values.shape() : Shape{});
  AttentionOptions opt;
  opt.mask = mask;
  opt.mask.allowed = one_head(mask.allowed);
  opt.mask.additive = one_head(mask.additive);
  opt.dropout = dropout_;
  opt.training = is_training();
  opt.generator = &gen_;
  opt.need_weights = need_weights;
  const AttentionOutput a = scaled_dot_product_attention(unsqueeze(queries, 1), unsqueeze(keys, 1),
                                                         unsqueeze(values, 1), opt);
  return {squeeze(a.output, 1), need_weights ? squeeze(a.weights, 1) : Tensor()};
}

std::string DotProductAttention::extra_repr() const {
  std::ostringstream os;
  os << "dropout=" << dropout_;
  return os.str();
}

}  // namespace qkv::nn
