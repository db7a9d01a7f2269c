#include "ops/layer_norm.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/layer_norm.h"
#include "ops/checks.h"

namespace qkv {

namespace {

void check_affine(const Tensor& p, const Tensor& x, std::int64_t d, const char* name) {
  if (!p.defined()) return;
  detail::require_same_dtype(x, p, "layer_norm");
  check(p.shape() == Shape{d}, "layer_norm: ", name, " of shape ", p.shape(),
        " does not match the last dim of x ", x.shape(), " (expected [", d, "])");
}

template <class T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

// x [.., d], weight [d], bias [d] -> y [.., d].
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  detail::require_floating(x, "layer_norm", "x");
  check(x.dim() >= 1, "layer_norm: x must have at least one dim, got a 0-d tensor");
  const std::int64_t d = x.shape().back();
  check(d > 0, "layer_norm: x of shape ", x.shape(), " has an empty last dim");
  check(eps >= 0, "layer_norm: eps ", eps, " is negative");
  check_affine(weight, x, d, "weight");
  check_affine(bias, x, d, "bias");
  const Tensor xc = view::contiguous(x);
  const Tensor w = weight.defined() ? view::contiguous(weight) : Tensor();
  const Tensor b = bias.defined() ? view::contiguous(bias) : Tensor();
  const std::int64_t rows = x.numel() / d;
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = Tensor::empty({rows}, x.dtype()), rstd = Tensor::empty({rows}, x.dtype());
  dispatch_floating(x.dtype(), "layer_norm", [&]<class T>() {
    kernels::layer_norm_forward<T>(rows, d, xc.data<T>(), data_or_null<T>(w), data_or_null<T>(b),
                                   T(eps), y.data<T>(), mean.data<T>(), rstd.data<T>());
  });
  return autograd::record(
      "layer_norm", y, {x, weight, bias}, [xc, w, mean, rstd, rows, d](const auto& c) {
        const Tensor g = view::contiguous(c.grad());
        Tensor dx = Tensor::empty(xc.shape(), xc.dtype());
        Tensor dw = c.needs(1) ? Tensor::empty({d}, xc.dtype()) : Tensor();
        Tensor db = c.needs(2) ? Tensor::empty({d}, xc.dtype()) : Tensor();
        const Tensor workspace =
            dw.defined() || db.defined()
                ? Tensor::empty({kernels::layer_norm_backward_workspace(d)}, xc.dtype())
                : Tensor();
        dispatch_floating(xc.dtype(), "layer_norm backward", [&]<class T>() {
          kernels::layer_norm_backward<T>(rows, d, xc.data<T>(), data_or_null<T>(w), mean.data<T>(),
                                          rstd.data<T>(), g.data<T>(), dx.data<T>(),
                                          dw.defined() ? dw.data<T>() : nullptr,
                                          db.defined() ? db.data<T>() : nullptr,
                                          workspace.defined() ? workspace.data<T>() : nullptr);
        });
        return std::vector<Tensor>{c.needs(0) ? dx : Tensor(), dw, db};
      });
}

}  // namespace qkv
