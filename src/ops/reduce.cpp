#include "ops/reduce.h"

#include <algorithm>

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/reduce.h"
#include "ops/checks.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv {

namespace {

// The sizes of a dense tensor seen as [outer, n, inner] around `dim`.
struct Split {
  std::int64_t outer = 1, n = 1, inner = 1;
};

Split split_at(const Shape& shape, std::int64_t dim) {
  Split s;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i)
    (i < dim ? s.outer : i == dim ? s.n : s.inner) *= shape[i];
  return s;
}

// Sums dense x over one dim, keeping it with size 1.
Tensor sum_one_dim(const Tensor& x, std::int64_t dim) {
  const Split s = split_at(x.shape(), dim);
  Shape out_shape = x.shape();
  out_shape[dim] = 1;
  Tensor out = Tensor::empty(out_shape, x.dtype());
  dispatch_floating(x.dtype(), "sum", [&]<class T>() {
    kernels::sum_dim<T>(s.outer, s.n, s.inner, x.data<T>(), out.data<T>());
  });
  return out;
}

// Sorted, unique, non-negative dims.
Shape normalise_dims(const Shape& dims, std::int64_t rank, const char* op) {
  Shape out;
  for (auto d : dims) out.push_back(wrap_dim(d, rank, op));
  std::sort(out.begin(), out.end());
  check(std::adjacent_find(out.begin(), out.end()) == out.end(), op, ": repeated dim in ", dims);
  return out;
}

Shape reduced_shape(const Shape& shape, const Shape& dims, bool keepdim) {
  Shape out;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    const bool reduced = std::binary_search(dims.begin(), dims.end(), i);
    if (!reduced)
      out.push_back(shape[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  detail::require_floating(x, "sum", "x");
  const Shape ds = normalise_dims(dims, x.dim(), "sum");
  Tensor out = view::contiguous(x);
  for (auto it = ds.rbegin(); it != ds.rend(); ++it) out = sum_one_dim(out, *it);
  if (ds.empty()) out = view::clone(out);
  out = view::reshape(out, reduced_shape(x.shape(), ds, keepdim));
  return autograd::record("sum", out, {x}, [xs = x.shape(), ds](const auto& c) {
    const Tensor g = view::reshape(c.grad(), reduced_shape(xs, ds, true));
    return std::vector<Tensor>{view::contiguous(view::expand(g, xs))};
  });
}

Tensor sum(const Tensor& x) {
  Shape all(x.dim());
  for (std::int64_t i = 0; i < x.dim(); ++i) all[i] = i;
  return sum(x, all, false);
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  const Shape ds = normalise_dims(dims, x.dim(), "mean");
  std::int64_t count = 1;
  for (auto d : ds) count *= x.shape()[d];
  check(count > 0, "mean: reducing ", x.shape(), " over ", dims, " takes the mean of no elements");
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(count));
}

Tensor mean(const Tensor& x) {
  check(x.numel() > 0, "mean: empty tensor of shape ", x.shape());
  return sum(x) * (1.0 / static_cast<double>(x.numel()));
}

namespace {

// Values and int64 indices of the maxima along dim, keeping the dim.
std::pair<Tensor, Tensor> max_with_index(const Tensor& x, std::int64_t dim) {
  check(x.shape()[dim] > 0, "max: dim ", dim, " of shape ", x.shape(), " is empty");
  const Tensor xc = view::contiguous(x);
  const Split s = split_at(x.shape(), dim);
  Shape out_shape = x.shape();
  out_shape[dim] = 1;
  Tensor values = Tensor::empty(out_shape, x.dtype());
  Tensor index = Tensor::empty(out_shape, DType::i64);
  dispatch_floating(x.dtype(), "max", [&]<class T>() {
    kernels::max_dim<T>(s.outer, s.n, s.inner, xc.data<T>(), values.data<T>(),
                        index.data<std::int64_t>());
  });
  return {values, index};
}

}  // namespace

Tensor max(const Tensor& x, std::int64_t dim, bool keepdim) {
  detail::require_floating(x, "max", "x");
  dim = wrap_dim(dim, x.dim(), "max");
  auto [values, index] = max_with_index(x, dim);
  Tensor out = keepdim ? values : view::squeeze(values, dim);
  return autograd::record("max", out, {x}, [xs = x.shape(), dim, index](const auto& c) {
    const Split s = split_at(xs, dim);
    const Tensor g = view::contiguous(c.grad());
    Tensor dx = Tensor::empty(xs, g.dtype());
    dispatch_floating(g.dtype(), "max backward", [&]<class T>() {
      kernels::max_dim_backward<T>(s.outer, s.n, s.inner, index.data<std::int64_t>(), g.data<T>(),
                                   dx.data<T>());
    });
    return std::vector<Tensor>{dx};
  });
}

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
  detail::require_floating(x, "argmax", "x");
  dim = wrap_dim(dim, x.dim(), "argmax");
  Tensor index = max_with_index(x, dim).second;
  return keepdim ? index : view::squeeze(index, dim);
}

}  // namespace qkv
