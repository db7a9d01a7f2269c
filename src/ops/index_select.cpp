#include "ops/index_select.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/embedding.h"
#include "ops/checks.h"
#include "ops/shape.h"

namespace qkv {

// The gather runs on the embedding kernels: with `dim` moved to the front, x is
// a table of n rows and index the ids looked up in it.
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  detail::require_floating(x, "index_select", "x");
  check(x.dim() >= 1, "index_select: x must have at least one dim, got a scalar");
  dim = wrap_dim(dim, x.dim(), "index_select");
  check(index.defined() && index.dtype() == DType::i64 && index.dim() == 1,
        "index_select: index must be int64 [m], got ", index.defined() ? index.shape() : Shape{},
        " ", index.defined() ? dtype_name(index.dtype()) : "");
  const std::int64_t n = x.size(dim);
  const Tensor id = view::contiguous(index);
  const std::int64_t* p = id.data<std::int64_t>();
  for (std::int64_t i = 0; i < id.numel(); ++i)
    check(p[i] >= 0 && p[i] < n, "index_select: index ", p[i], " at position ", i,
          " is outside [0, ", n, ") along dim ", dim, " of ", x.shape());
  const Tensor front = view::contiguous(dim == 0 ? x : view::transpose(x, 0, dim));
  const std::int64_t row = n == 0 ? 0 : front.numel() / n;
  Shape out_shape = front.shape();
  out_shape[0] = id.numel();
  Tensor out = Tensor::empty(out_shape, x.dtype());
  dispatch_floating(x.dtype(), "index_select", [&]<class T>() {
    kernels::embedding_forward<T>(id.numel(), row, p, front.data<T>(), out.data<T>());
  });
  const Tensor y = dim == 0 ? out : view::contiguous(view::transpose(out, 0, dim));
  return autograd::record(
      "index_select", y, {x}, [id, dim, n, row, front_shape = front.shape()](const auto& c) {
        const Tensor g = view::contiguous(dim == 0 ? c.grad() : view::transpose(c.grad(), 0, dim));
        Tensor dx = Tensor::empty(front_shape, g.dtype());
        dispatch_floating(g.dtype(), "index_select backward", [&]<class T>() {
          kernels::embedding_backward<T>(id.numel(), row, n, id.data<std::int64_t>(), g.data<T>(),
                                         -1, dx.data<T>());
        });
        return std::vector<Tensor>{dim == 0 ? dx : view::contiguous(view::transpose(dx, 0, dim))};
      });
}

}  // namespace qkv
