#include "nn/multi_head_attention.h"

#include <cmath>
#include <sstream>

#include "core/creation.h"
#include "core/view.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv::nn {

namespace {

MultiHeadAttentionConfig resolved(MultiHeadAttentionConfig c) {
  check(c.d_model > 0 && c.num_heads > 0, "MultiHeadAttention: d_model ", c.d_model,
        " and num_heads ", c.num_heads, " must be positive");
  check(c.d_model % c.num_heads == 0, "MultiHeadAttention: num_heads ", c.num_heads,
        " does not divide d_model ", c.d_model);
  if (c.num_kv_heads == 0) c.num_kv_heads = c.num_heads;
  check(c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0,
        "MultiHeadAttention: ", c.num_kv_heads, " key/value heads do not divide ", c.num_heads,
        " query heads");
  check(c.kdim >= 0 && c.vdim >= 0, "MultiHeadAttention: kdim ", c.kdim, " and vdim ", c.vdim,
        " must not be negative");
  if (c.kdim == 0) c.kdim = c.d_model;
  if (c.vdim == 0) c.vdim = c.d_model;
  check(c.dropout >= 0 && c.dropout < 1, "MultiHeadAttention: dropout ", c.dropout,
        " is outside [0, 1)");
  return c;
}

// Glorot & Bengio (2010): U(-a, a), a = sqrt(6 / (in + out)); bias zero.
std::shared_ptr<Linear> projection(std::int64_t in, std::int64_t out, bool bias, Generator& gen) {
  auto p = std::make_shared<Linear>(in, out, bias, gen);
  const double a = std::sqrt(6.0 / double(in + out));
  view::copy_into(p->weight(), rand({out, in}, -a, a, DType::f32, gen));
  if (bias) fill_(p->bias(), 0);
  return p;
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(const MultiHeadAttentionConfig& config, Generator& gen)
    : config_(resolved(config)), gen_(gen) {
  const auto& c = config_;
  const std::int64_t dh = head_dim();
  q_proj_ = register_module("q_proj", projection(c.d_model, c.num_heads * dh, c.bias, gen));
  k_proj_ = register_module("k_proj", projection(c.kdim, c.num_kv_heads * dh, c.bias, gen));
  v_proj_ = register_module("v_proj", projection(c.vdim, c.num_kv_heads * dh, c.bias, gen));
  out_proj_ = register_module("out_proj",
                              std::make_shared<Linear>(c.num_heads * dh, c.d_model, c.bias, gen));
  if (c.bias) fill_(out_proj_->bias(), 0);
}

Tensor MultiHeadAttention::split_heads(const Tensor& x, std::int64_t heads) const {
  return transpose(reshape(x, {x.size(0), x.size(1), heads, head_dim()}), 1, 2);
}

MultiHeadAttentionOutput MultiHeadAttention::forward(const Tensor& query, const Tensor& key,
                                                     const Tensor& value,
                                                     const MultiHeadAttentionOptions& opt) const {
  const auto& c = config_;
  check(query.defined() && query.dim() == 3 && query.size(2) == c.d_model,
        "MultiHeadAttention: query must be [B, Tq, ", c.d_model, "], got ",
        query.defined() ? query.shape() : Shape{});
  KeyValueCache* cache = opt.cache;
  const bool reuse = cache && cache->fixed && cache->keys.defined();
  Tensor k, v;
  if (reuse) {
    check(cache->keys.size(0) == query.size(0), "MultiHeadAttention: the cache holds batch ",
          cache->keys.size(0), ", the query has batch ", query.size(0));
    k = cache->keys;
    v = cache->values;
  } else {
    check(key.defined() && value.defined() && key.dim() == 3 && value.dim() == 3 &&
              key.size(2) == c.kdim && value.size(2) == c.vdim && key.size(0) == query.size(0) &&
              value.size(0) == query.size(0) && key.size(1) == value.size(1),
          "MultiHeadAttention: expected key [B, Tk, ", c.kdim, "] and value [B, Tk, ", c.vdim,
          "] with B = ", query.size(0), ", got key ", key.defined() ? key.shape() : Shape{},
          " and value ", value.defined() ? value.shape() : Shape{});
    k = split_heads(k_proj_->forward(key), c.num_kv_heads);
    v = split_heads(v_proj_->forward(value), c.num_kv_heads);
    if (cache) {
      if (!cache->fixed && cache->keys.defined()) {
        check(cache->keys.size(0) == query.size(0), "MultiHeadAttention: the cache holds batch ",
              cache->keys.size(0), ", the query has batch ", query.size(0));
        k = cat({cache->keys, k}, 2);
        v = cat({cache->values, v}, 2);
      }
      cache->keys = k;
      cache->values = v;
    }
  }

  AttentionOptions a;
  a.mask = opt.mask;
  a.dropout = c.dropout;
  a.training = is_training();
  a.generator = &gen_;
  a.need_weights = opt.need_weights;
  a.kernel = opt.kernel;
  const AttentionOutput att =
      scaled_dot_product_attention(split_heads(q_proj_->forward(query), c.num_heads), k, v, a);
  // [B, h, Tq, dh] -> [B, Tq, h dh]
  const Tensor heads = reshape(transpose(att.output, 1, 2),
                               {query.size(0), query.size(1), c.num_heads * head_dim()});
  MultiHeadAttentionOutput out;
  out.output = out_proj_->forward(heads);
  if (opt.need_weights) out.weights = opt.average_weights ? mean(att.weights, {1}) : att.weights;
  return out;
}

std::string MultiHeadAttention::extra_repr() const {
  std::ostringstream os;
  const auto& c = config_;
  os << "d_model=" << c.d_model << ", num_heads=" << c.num_heads
     << ", num_kv_heads=" << c.num_kv_heads << ", bias=" << (c.bias ? "true" : "false")
     << ", dropout=" << c.dropout;
  if (c.kdim != c.d_model) os << ", kdim=" << c.kdim;
  if (c.vdim != c.d_model) os << ", vdim=" << c.vdim;
  return os.str();
}

}  // namespace qkv::nn
