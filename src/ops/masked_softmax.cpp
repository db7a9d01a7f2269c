#include <memory>

#include "autograd/engine.h"
#include "autograd/record.h"
#include "core/view.h"
#include "kernels/masked_softmax.h"
#include "kernels/softmax.h"
#include "ops/attention.h"
#include "ops/attention_mask.h"
#include "ops/checks.h"
#include "ops/shape.h"

namespace qkv {

namespace {

constexpr const char* kOp = "masked_softmax";

// Masks given for 3-D scores [B, Tq, Tk] address those dims; a head dim of 1
// is put in so they read as masks over [B, 1, Tq, Tk].
Tensor with_head_dim(const Tensor& t) {
  return t.defined() && t.dim() == 3 ? view::unsqueeze(t, 1) : t;
}

}  // namespace

// scores [B, Tq, Tk] or [B, h, Tq, Tk] -> weights of the same shape.
Tensor masked_softmax(const Tensor& scores, const AttentionMask& mask) {
  detail::require_floating(scores, kOp, "scores");
  check(scores.dim() == 3 || scores.dim() == 4, kOp, ": scores must be [B, Tq, Tk] or ",
        "[B, h, Tq, Tk], got ", scores.shape());
  const bool three = scores.dim() == 3;
  AttentionMask m = mask;
  if (three) {
    m.allowed = with_head_dim(m.allowed);
    m.additive = with_head_dim(m.additive);
  }
  const Tensor s4 = three ? view::unsqueeze(scores, 1) : scores;
  const detail::ScoreDims d{s4.size(0), s4.size(1), s4.size(2), s4.size(3)};
  const Tensor sc = view::contiguous(s4);
  Tensor w = Tensor::empty(sc.shape(), sc.dtype());
  const std::int64_t rows = d.batch * d.heads * d.q_len;
  if (sc.numel() > 0)
    dispatch_floating(sc.dtype(), kOp, [&]<class T>() {
      const detail::KernelMask<T> km(m, d, kOp);
      kernels::masked_softmax_forward<T>({d.batch, d.heads, 1, d.q_len, d.k_len, 1, 1}, km.get(),
                                         sc.data<T>(), w.data<T>());
    });
  const Tensor y = three ? view::squeeze(w, 1) : w;
  return autograd::record(
      kOp, y, {scores}, [rows, n = d.k_len, y = autograd::detach(y)](const auto& c) {
        const Tensor yc = view::contiguous(y), g = view::contiguous(c.grad());
        Tensor dx = Tensor::empty(yc.shape(), yc.dtype());
        if (yc.numel() > 0)
          dispatch_floating(yc.dtype(), "masked_softmax backward", [&]<class T>() {
            kernels::softmax_backward<T>(rows, n, yc.data<T>(), g.data<T>(), dx.data<T>());
          });
        return std::vector<Tensor>{dx};
      });
}

}  // namespace qkv
