#include "ops/loss.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/cross_entropy.h"
#include "kernels/reduce.h"
#include "ops/arith.h"
#include "ops/checks.h"
#include "ops/reduce.h"

namespace qkv {

namespace {

// Checks targets against logits [.., C]; returns the number of rows that count
// (target != ignore_index).
std::int64_t check_targets(const Tensor& logits, const Tensor& targets,
                           const CrossEntropyOptions& o) {
  check(logits.dim() >= 1, "cross_entropy: logits must have a class dim, got shape ",
        logits.shape());
  const std::int64_t c = logits.shape().back();
  check(c > 0, "cross_entropy: logits of shape ", logits.shape(), " have no classes");
  check(targets.defined() && targets.dtype() == DType::i64,
        "cross_entropy: targets must be int64 class indices, got ",
        targets.defined() ? dtype_name(targets.dtype()) : "an undefined tensor");
  const Shape rows_shape(logits.shape().begin(), logits.shape().end() - 1);
  check(targets.shape() == rows_shape, "cross_entropy: targets of shape ", targets.shape(),
        " do not match logits of shape ", logits.shape(), " (expected ", rows_shape, ")");
  check(o.label_smoothing >= 0 && o.label_smoothing <= 1, "cross_entropy: label_smoothing ",
        o.label_smoothing, " is outside [0, 1]");
  const std::int64_t* t = targets.data<std::int64_t>();
  std::int64_t counted = 0;
  for (std::int64_t i = 0; i < targets.numel(); ++i) {
    if (t[i] == o.ignore_index) continue;
    check(t[i] >= 0 && t[i] < c, "cross_entropy: target ", t[i], " at position ", i,
          " is outside [0, ", c, ") for ", c, " classes (and is not ignore_index ", o.ignore_index,
          ")");
    ++counted;
  }
  return counted;
}

}  // namespace

// logits [.., C], targets int64 [..] -> loss [..] (none) or a scalar (mean, sum).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets,
                     const CrossEntropyOptions& options) {
  detail::require_floating(logits, "cross_entropy", "logits");
  const Tensor t = view::contiguous(targets);
  const std::int64_t counted = check_targets(logits, t, options);
  const Tensor x = view::contiguous(logits);
  const std::int64_t c = x.shape().back(), n = t.numel();
  Tensor rows = Tensor::empty(t.shape(), x.dtype()), lse = Tensor::empty({n}, x.dtype());
  Tensor out;
  dispatch_floating(x.dtype(), "cross_entropy", [&]<class T>() {
    kernels::cross_entropy_forward<T>(n, c, x.data<T>(), t.data<std::int64_t>(),
                                      options.ignore_index, T(options.label_smoothing),
                                      rows.data<T>(), lse.data<T>());
    if (options.reduction == Reduction::none) {
      out = rows;
      return;
    }
    out = Tensor::empty({}, x.dtype());
    kernels::sum_dim<T>(1, n, 1, rows.data<T>(), out.data<T>());
    // As torch: the mean over no counted rows is 0 / 0 = NaN.
    if (options.reduction == Reduction::mean) *out.data<T>() /= T(counted);
  });
  return autograd::record("cross_entropy", out, {logits},
                          [x, t, lse, options, counted](const auto& ctx) {
                            const Tensor g = view::contiguous(ctx.grad());
                            Tensor dx = Tensor::empty(x.shape(), x.dtype());
                            dispatch_floating(x.dtype(), "cross_entropy backward", [&]<class T>() {
                              // Per-row gradients for none; one value for every row otherwise.
                              const bool per_row = options.reduction == Reduction::none;
                              T shared = per_row ? T(0) : g.item<T>();
                              if (options.reduction == Reduction::mean) shared /= T(counted);
                              kernels::cross_entropy_backward<T>(
                                  t.numel(), x.shape().back(), x.data<T>(), t.data<std::int64_t>(),
                                  options.ignore_index, T(options.label_smoothing), lse.data<T>(),
                                  per_row ? g.data<T>() : &shared, per_row ? 1 : 0, dx.data<T>());
                            });
                            return std::vector<Tensor>{dx};
                          });
}

// prediction, target [..] of one shape -> squared differences, reduced.
Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  detail::require_floating(prediction, "mse_loss", "prediction");
  detail::require_floating(target, "mse_loss", "target");
  detail::require_same_dtype(prediction, target, "mse_loss");
  check(prediction.shape() == target.shape(), "mse_loss: prediction of shape ", prediction.shape(),
        " and target of shape ", target.shape(), " differ");
  const Tensor sq = square(prediction - target);
  switch (reduction) {
    case Reduction::none:
      return sq;
    case Reduction::sum:
      return sum(sq);
    case Reduction::mean:
      break;
  }
  return mean(sq);
}

}  // namespace qkv
