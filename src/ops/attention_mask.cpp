#include "ops/attention_mask.h"

#include <array>

#include "core/view.h"

namespace qkv::detail {

namespace {

using Dims4 = std::array<std::int64_t, 4>;

// The mask's shape left-padded to rank 4, checked to broadcast to `target`.
Dims4 broadcast_shape(const Tensor& t, const Dims4& target, const char* op, const char* what) {
  check(t.dim() <= 4, op, ": ", what, " mask has shape ", t.shape(),
        "; expected at most 4 dims broadcastable to ", Shape(target.begin(), target.end()));
  Dims4 shape{1, 1, 1, 1};
  for (std::int64_t i = 0; i < t.dim(); ++i) shape[4 - t.dim() + i] = t.shape()[i];
  for (int i = 0; i < 4; ++i)
    check(shape[i] == 1 || shape[i] == target[i], op, ": ", what, " mask of shape ", t.shape(),
          " does not broadcast to the scores' shape ", Shape(target.begin(), target.end()));
  return shape;
}

// Row-major strides of `shape`, 0 along its size-1 dims.
kernels::MaskStrides strides_of(const Dims4& shape) {
  const std::int64_t key = shape[3] == 1 ? 0 : 1;
  const std::int64_t query = shape[2] == 1 ? 0 : shape[3];
  const std::int64_t head = shape[1] == 1 ? 0 : shape[2] * shape[3];
  const std::int64_t batch = shape[0] == 1 ? 0 : shape[1] * shape[2] * shape[3];
  return {batch, head, query, key};
}

}  // namespace

template <class T>
KernelMask<T>::KernelMask(const AttentionMask& mask, const ScoreDims& d, const char* op) {
  const Dims4 target{d.batch, d.heads, d.q_len, d.k_len};
  mask_.causal = mask.causal;

  // Lengths per query row, if given, become an allowed mask [B, 1, Tq, Tk].
  std::vector<std::int64_t> row_lengths;
  if (mask.key_lengths.defined()) {
    const Tensor& l = mask.key_lengths;
    check(l.dtype() == DType::i64, op, ": key_lengths must be int64, got ", dtype_name(l.dtype()));
    const bool per_row = l.dim() == 2 && l.shape() == Shape{d.batch, d.q_len};
    check((l.dim() == 1 && l.shape()[0] == d.batch) || per_row, op, ": key_lengths has shape ",
          l.shape(), "; expected [", d.batch, "] or [", d.batch, ", ", d.q_len, "]");
    std::vector<std::int64_t> values = l.to_vector<std::int64_t>();
    for (std::size_t n = 0; n < values.size(); ++n)
      check(values[n] >= 0 && values[n] <= d.k_len, op, ": key_lengths[", n, "] = ", values[n],
            " is outside [0, ", d.k_len, "] (Tk)");
    if (per_row) {
      row_lengths = std::move(values);
    } else {
      lengths_ = std::move(values);
      mask_.key_lengths = lengths_.data();
    }
  }

  std::vector<double> key_valid;
  if (mask.key_valid.defined()) {
    check(mask.key_valid.shape() == Shape{d.batch, d.k_len}, op, ": key_valid has shape ",
          mask.key_valid.shape(), "; expected [", d.batch, ", ", d.k_len, "] ([B, Tk])");
    key_valid = mask.key_valid.to_vector<double>();
  }

  // allowed, lengths per query row and key_valid make one byte mask, at the
  // broadcast of their shapes.
  if (mask.allowed.defined() || !row_lengths.empty() || !key_valid.empty()) {
    Dims4 shape{1, 1, 1, 1};
    std::vector<double> given;
    if (mask.allowed.defined()) {
      shape = broadcast_shape(mask.allowed, target, op, "allowed");
      given = mask.allowed.to_vector<double>();
    }
    const kernels::MaskStrides gs = strides_of(shape);
    if (!row_lengths.empty()) shape = {d.batch, shape[1], d.q_len, d.k_len};
    if (!key_valid.empty()) shape = {d.batch, shape[1], shape[2], d.k_len};
    const kernels::MaskStrides s = strides_of(shape);
    allowed_.resize(shape[0] * shape[1] * shape[2] * shape[3]);
    for (std::int64_t b = 0; b < shape[0]; ++b)
      for (std::int64_t h = 0; h < shape[1]; ++h)
        for (std::int64_t i = 0; i < shape[2]; ++i)
          for (std::int64_t j = 0; j < shape[3]; ++j) {
            bool ok =
                given.empty() || given[b * gs.batch + h * gs.head + i * gs.query + j * gs.key] != 0;
            if (!row_lengths.empty()) ok = ok && j < row_lengths[b * d.q_len + i];
            if (!key_valid.empty()) ok = ok && key_valid[b * d.k_len + j] != 0;
            allowed_[b * s.batch + h * s.head + i * s.query + j * s.key] = ok;
          }
    mask_.allowed = allowed_.data();
    mask_.allowed_strides = s;
  }

  if (mask.additive.defined()) {
    check(is_floating(mask.additive.dtype()), op, ": additive mask must be floating, got ",
          dtype_name(mask.additive.dtype()));
    const Dims4 shape = broadcast_shape(mask.additive, target, op, "additive");
    additive_ = view::to_dtype(mask.additive, dtype_of<T>());
    mask_.additive = additive_.template data<T>();
    mask_.additive_strides = strides_of(shape);
  }
}

template class KernelMask<float>;
template class KernelMask<double>;

}  // namespace qkv::detail
