#include "ops/embedding.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/embedding.h"
#include "ops/checks.h"

namespace qkv {

// ids int64 [..], weight [V, d] -> [.., d].
Tensor embedding(const Tensor& ids, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
  detail::require_floating(weight, "embedding", "weight");
  check(weight.dim() == 2, "embedding: weight must be [V, d], got shape ", weight.shape());
  check(ids.defined() && ids.dtype() == DType::i64, "embedding: ids must be int64, got ",
        ids.defined() ? dtype_name(ids.dtype()) : "an undefined tensor");
  const std::int64_t vocab = weight.shape()[0], d = weight.shape()[1];
  // As torch, a negative padding_idx counts from the end of the table.
  std::int64_t skip = -1;
  if (padding_idx) {
    check(*padding_idx >= -vocab && *padding_idx < vocab, "embedding: padding_idx ", *padding_idx,
          " is outside [", -vocab, ", ", vocab, ")");
    skip = *padding_idx < 0 ? *padding_idx + vocab : *padding_idx;
  }
  const Tensor id = view::contiguous(ids);
  const std::int64_t* p = id.data<std::int64_t>();
  for (std::int64_t i = 0; i < id.numel(); ++i)
    check(p[i] >= 0 && p[i] < vocab, "embedding: id ", p[i], " at position ", i,
          " is outside the vocabulary [0, ", vocab, ")");

  const Tensor w = view::contiguous(weight);
  Shape out_shape = ids.shape();
  out_shape.push_back(d);
  Tensor out = Tensor::empty(out_shape, weight.dtype());
  dispatch_floating(w.dtype(), "embedding", [&]<class T>() {
    kernels::embedding_forward<T>(id.numel(), d, p, w.data<T>(), out.data<T>());
  });
  return autograd::record("embedding", out, {weight}, [id, vocab, d, skip](const auto& c) {
    const Tensor g = view::contiguous(c.grad());
    Tensor dw = Tensor::empty({vocab, d}, g.dtype());
    dispatch_floating(g.dtype(), "embedding backward", [&]<class T>() {
      kernels::embedding_backward<T>(id.numel(), d, vocab, id.data<std::int64_t>(), g.data<T>(),
                                     skip, dw.data<T>());
    });
    return std::vector<Tensor>{dw};
  });
}

}  // namespace qkv
