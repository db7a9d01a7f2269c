#include "ops/attention.h"

#include <cmath>
#include <memory>

#include "autograd/engine.h"
#include "autograd/record.h"
#include "core/creation.h"
#include "core/view.h"
#include "kernels/attention.h"
#include "kernels/attention_rows.h"
#include "kernels/softmax.h"
#include "ops/arith.h"
#include "ops/attention_mask.h"
#include "ops/checks.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

kernels::AttentionDims check_shapes(const Tensor& q, const Tensor& k, const Tensor& v) {
  detail::require_floating(q, kOp, "q");
  detail::require_floating(k, kOp, "k");
  detail::require_floating(v, kOp, "v");
  detail::require_same_dtype(q, k, kOp);
  detail::require_same_dtype(q, v, kOp);
  check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, kOp,
        ": expected q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv], got q ", q.shape(),
        ", k ", k.shape(), ", v ", v.shape());
  const kernels::AttentionDims d{q.size(0), q.size(1), k.size(1), q.size(2),
                                 k.size(2), q.size(3), v.size(3)};
  check(k.size(0) == d.batch && v.size(0) == d.batch && v.size(1) == d.kv_heads &&
            v.size(2) == d.k_len && k.size(3) == d.head_dim,
        kOp, ": q ", q.shape(), ", k ", k.shape(), " and v ", v.shape(),
        " do not fit q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv]");
  check(d.kv_heads >= 1 && d.heads % d.kv_heads == 0, kOp, ": ", d.kv_heads,
        " key/value heads do not divide ", d.heads, " query heads");
  check(d.head_dim >= 1 && d.value_dim >= 1, kOp, ": head widths must be positive, got dh ",
        d.head_dim, ", dv ", d.value_dim);
  return d;
}

// What the backward of one call needs besides the gradient.
template <class T>
struct Saved {
  kernels::AttentionDims dims;
  T scale;
  std::shared_ptr<const detail::KernelMask<T>> mask;
  kernels::AttentionDropout dropout;
  AttentionKernel kernel;
  Tensor q, k, v, o, lse;  // dense; o cut from the graph
};

template <class T>
std::vector<Tensor> backward(const Saved<T>& s, const Tensor& grad) {
  const Tensor &q = s.q, &k = s.k, &v = s.v, &o = s.o, &lse = s.lse;
  const Tensor dout = view::contiguous(grad);
  Tensor dq = Tensor::empty(q.shape(), q.dtype());
  Tensor dk = Tensor::empty(k.shape(), k.dtype());
  Tensor dv = Tensor::empty(v.shape(), v.dtype());
  if (s.kernel == AttentionKernel::fused)
    kernels::attention_backward<T>(s.dims, s.scale, s.mask->get(), s.dropout, q.data<T>(),
                                   k.data<T>(), v.data<T>(), o.data<T>(), dout.data<T>(),
                                   lse.data<T>(), dq.data<T>(), dk.data<T>(), dv.data<T>());
  else
    kernels::ref::attention_backward<T>(s.dims, s.scale, s.mask->get(), s.dropout, q.data<T>(),
                                        k.data<T>(), v.data<T>(), dout.data<T>(), dq.data<T>(),
                                        dk.data<T>(), dv.data<T>());
  return {dq, dk, dv};
}

// The weights' own backward, for callers that differentiate through them:
// dS = W * (dW - rowsum(dW * W)), then dq = scale dS k and dk = scale dS^T q,
// summed over the query heads that share a key head.
template <class T>
std::vector<Tensor> weights_backward(const kernels::AttentionDims& d, T scale, const Tensor& w,
                                     const Tensor& q, const Tensor& k, const Tensor& grad,
                                     const autograd::BackwardContext& c) {
  const Tensor gw = view::contiguous(grad);
  Tensor ds = Tensor::empty(w.shape(), w.dtype());
  kernels::softmax_backward<T>(d.batch * d.heads * d.q_len, d.k_len, w.data<T>(), gw.data<T>(),
                               ds.data<T>());
  const std::int64_t r = d.heads / d.kv_heads;
  // [B, g, r, Tq, Tk]: query heads grouped by the key head they read.
  const Tensor dsg = view::reshape(ds, {d.batch, d.kv_heads, r, d.q_len, d.k_len});
  std::vector<Tensor> out(2);
  if (c.needs(0))
    out[0] = reshape(matmul(dsg, view::unsqueeze(k, 2)) * double(scale),
                     {d.batch, d.heads, d.q_len, d.head_dim});
  if (c.needs(1)) {
    const Tensor qg = view::reshape(q, {d.batch, d.kv_heads, r, d.q_len, d.head_dim});
    out[1] = sum(matmul(view::transpose(dsg, 3, 4), qg), {2}) * double(scale);
  }
  return out;
}

template <class T>
AttentionOutput attend(const kernels::AttentionDims& d, const Tensor& q_in, const Tensor& k_in,
                       const Tensor& v_in, const AttentionOptions& opt) {
  auto s = std::make_shared<Saved<T>>();
  s->dims = d;
  s->scale = static_cast<T>(opt.scale.value_or(1 / std::sqrt(double(d.head_dim))));
  s->mask = std::make_shared<const detail::KernelMask<T>>(
      opt.mask, detail::ScoreDims{d.batch, d.heads, d.q_len, d.k_len}, kOp);
  s->kernel = opt.kernel;
  if (opt.training && opt.dropout > 0) {
    Generator& gen = opt.generator ? *opt.generator : default_generator();
    s->dropout = {opt.dropout, gen.seed(), gen.reserve(kernels::attention_dropout_counters(d))};
  }
  const Tensor q = view::contiguous(q_in), k = view::contiguous(k_in), v = view::contiguous(v_in);
  s->q = q;
  s->k = k;
  s->v = v;
  Tensor o = Tensor::empty({d.batch, d.heads, d.q_len, d.value_dim}, q.dtype());
  Tensor lse = Tensor::empty({d.batch, d.heads, d.q_len}, q.dtype());
  const kernels::AttentionMask<T>& m = s->mask->get();
  const T scale = s->scale;
  // A few queries per head (incremental decoding) go row by row; the tiled
  // kernel would fill a whole block of query lanes for each.
  if (opt.kernel == AttentionKernel::fused && d.q_len <= kernels::kRowwiseMaxQueries)
    kernels::attention_forward_rows<T>(d, scale, m, s->dropout, q.data<T>(), k.data<T>(),
                                       v.data<T>(), o.data<T>(), lse.data<T>());
  else if (opt.kernel == AttentionKernel::fused)
    kernels::attention_forward<T>(d, scale, m, s->dropout, q.data<T>(), k.data<T>(), v.data<T>(),
                                  o.data<T>(), lse.data<T>());
  else
    kernels::ref::attention_forward<T>(d, scale, m, s->dropout, q.data<T>(), k.data<T>(),
                                       v.data<T>(), o.data<T>(), lse.data<T>());

  AttentionOutput out;
  if (opt.need_weights) {
    Tensor w = Tensor::empty({d.batch, d.heads, d.q_len, d.k_len}, q.dtype());
    if (opt.kernel == AttentionKernel::fused)
      kernels::attention_weights<T>(d, scale, m, q.data<T>(), k.data<T>(), lse.data<T>(),
                                    w.data<T>());
    else
      kernels::ref::attention_weights<T>(d, scale, m, q.data<T>(), k.data<T>(), w.data<T>());
    out.weights = autograd::record(
        "attention_weights", w, {q_in, k_in},
        [d, scale, w = autograd::detach(w), q, k](const autograd::BackwardContext& c) {
          return weights_backward<T>(d, scale, w, q, k, c.grad(), c);
        });
  }
  s->o = autograd::detach(o);
  s->lse = lse;
  out.output = autograd::record(
      kOp, o, {q_in, k_in, v_in},
      [s](const autograd::BackwardContext& c) { return backward<T>(*s, c.grad()); });
  return out;
}

}  // namespace

// q [B, h, Tq, dh], k [B, g, Tk, dh], v [B, g, Tk, dv] -> output [B, h, Tq, dv]
// (and weights [B, h, Tq, Tk] when asked).
AttentionOutput scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                             const AttentionOptions& options) {
  const kernels::AttentionDims d = check_shapes(q, k, v);
  check(options.dropout >= 0 && options.dropout < 1, kOp, ": dropout probability ", options.dropout,
        " is outside [0, 1)");
  check(!options.scale || std::isfinite(*options.scale), kOp, ": scale ", *options.scale,
        " is not finite");
  // Nothing to attend with or to: every row sees no key, so the output is 0.
  if (d.batch == 0 || d.heads == 0 || d.q_len == 0 || d.k_len == 0) {
    AttentionOutput out;
    out.output = zeros({d.batch, d.heads, d.q_len, d.value_dim}, q.dtype());
    if (options.need_weights) out.weights = zeros({d.batch, d.heads, d.q_len, d.k_len}, q.dtype());
    return out;
  }
  return dispatch_floating(q.dtype(), kOp,
                           [&]<class T>() { return attend<T>(d, q, k, v, options); });
}

}  // namespace qkv
