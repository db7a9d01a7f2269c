#include "ops/softmax.h"

#include "autograd/engine.h"
#include "autograd/record.h"
#include "core/view.h"
#include "kernels/softmax.h"
#include "ops/checks.h"
#include "ops/shape.h"

namespace qkv {

namespace {

// The kernels work on rows of a dense array; another dim is first moved last
// (a dense copy) and the result moved back.
Tensor to_last(const Tensor& t, std::int64_t dim) {
  const std::int64_t last = t.dim() - 1;
  return view::contiguous(dim == last ? t : view::transpose(t, dim, last));
}

Tensor from_last(const Tensor& t, std::int64_t dim) {
  const std::int64_t last = t.dim() - 1;
  return dim == last ? t : view::contiguous(view::transpose(t, dim, last));
}

enum class Kind { softmax, log_softmax };

// y = softmax or log_softmax of x along dim.
Tensor forward(Kind kind, const Tensor& x, std::int64_t dim) {
  const Tensor xt = to_last(x, dim);
  const std::int64_t n = xt.shape().back(), rows = n == 0 ? 0 : xt.numel() / n;
  Tensor yt = Tensor::empty(xt.shape(), xt.dtype());
  dispatch_floating(x.dtype(), "softmax", [&]<class T>() {
    (kind == Kind::softmax ? kernels::softmax_forward<T>
                           : kernels::log_softmax_forward<T>)(rows, n, xt.data<T>(), yt.data<T>());
  });
  return from_last(yt, dim);
}

// dx from the forward output y and the gradient g.
Tensor backward(Kind kind, const Tensor& y, const Tensor& g, std::int64_t dim) {
  const Tensor yt = to_last(y, dim), gt = to_last(g, dim);
  const std::int64_t n = yt.shape().back(), rows = n == 0 ? 0 : yt.numel() / n;
  Tensor dxt = Tensor::empty(yt.shape(), yt.dtype());
  dispatch_floating(y.dtype(), "softmax backward", [&]<class T>() {
    (kind == Kind::softmax
         ? kernels::softmax_backward<T>
         : kernels::log_softmax_backward<T>)(rows, n, yt.data<T>(), gt.data<T>(), dxt.data<T>());
  });
  return from_last(dxt, dim);
}

Tensor softmax_op(Kind kind, const Tensor& x, std::int64_t dim, const char* name) {
  detail::require_floating(x, name, "x");
  // A 0-d tensor is one row of one element, as in torch.
  if (x.dim() == 0)
    return reshape(softmax_op(kind, reshape(x, {1}), wrap_dim(dim, 1, name), name), {});
  dim = wrap_dim(dim, x.dim(), name);
  Tensor y = forward(kind, x, dim);
  // The backward reads y; a detached handle avoids the cycle y -> node -> y.
  return autograd::record(name, y, {x}, [kind, dim, y = autograd::detach(y)](const auto& c) {
    return std::vector<Tensor>{backward(kind, y, c.grad(), dim)};
  });
}

}  // namespace

// x [.., n, ..] -> y of the same shape; each line along dim sums to 1.
Tensor softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(Kind::softmax, x, dim, "softmax");
}

// x [.., n, ..] -> log(softmax(x, dim)), computed without forming the softmax.
Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  return softmax_op(Kind::log_softmax, x, dim, "log_softmax");
}

}  // namespace qkv
