#include "decode/seq2seq_step.h"

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "ops/index_select.h"
#include "ops/shape.h"

namespace qkv::decode {

namespace {

// Rows of an int64 matrix, gathered on the host (index_select is for floats).
Tensor gather_rows(const Tensor& ids, const std::vector<std::int64_t>& rows) {
  const std::int64_t width = ids.size(1);
  const auto v = ids.to_vector<std::int64_t>();
  std::vector<std::int64_t> out;
  out.reserve(rows.size() * width);
  for (std::int64_t r : rows)
    out.insert(out.end(), v.begin() + r * width, v.begin() + (r + 1) * width);
  return from_vector(out, {static_cast<std::int64_t>(rows.size()), width});
}

Tensor select_rows(const Tensor& t, const Tensor& index) {
  return t.defined() ? index_select(t, 0, index) : t;
}

}  // namespace

Seq2SeqStep::Seq2SeqStep(const models::Seq2SeqTransformer& model, const Tensor& src,
                         std::int64_t copies)
    : model_(model) {
  check(copies >= 1, "Seq2SeqStep: copies must be at least 1, got ", copies);
  autograd::NoGradGuard no_grad;
  const Tensor memory = model_.encode(src);
  std::vector<std::int64_t> rows;
  for (std::int64_t b = 0; b < src.size(0); ++b)
    for (std::int64_t c = 0; c < copies; ++c) rows.push_back(b);
  src_ = gather_rows(src, rows);
  memory_ = copies == 1 ? memory
                        : index_select(memory, 0, from_vector(rows, {std::int64_t(rows.size())}));
  const auto ids = src_.to_vector<std::int64_t>();
  const std::int64_t s = src_.size(1), pad = model_.config().pad_id;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::int64_t n = 0;
    for (std::int64_t j = 0; j < s; ++j) n += ids[r * s + j] != pad;
    lengths_.push_back(n);
  }
}

Tensor Seq2SeqStep::step(const Tensor& tokens) {
  autograd::NoGradGuard no_grad;
  const Tensor logits = model_.decode(tokens, memory_, src_, &cache_);
  // The cross-attention projections are cached now; the memory is not read again.
  memory_ = Tensor();
  return squeeze(logits, 1);
}

void Seq2SeqStep::select(const std::vector<std::int64_t>& rows) {
  autograd::NoGradGuard no_grad;
  const Tensor index = from_vector(rows, {static_cast<std::int64_t>(rows.size())});
  src_ = gather_rows(src_, rows);
  memory_ = select_rows(memory_, index);
  for (auto& layer : cache_.layers)
    for (nn::KeyValueCache* kv : {&layer.self_attn, &layer.cross_attn}) {
      kv->keys = select_rows(kv->keys, index);
      kv->values = select_rows(kv->values, index);
    }
  std::vector<std::int64_t> lengths;
  for (std::int64_t r : rows) lengths.push_back(lengths_[r]);
  lengths_ = std::move(lengths);
}

}  // namespace qkv::decode
