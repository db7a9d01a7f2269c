#include "ops/shape.h"

#include "autograd/record.h"
#include "core/creation.h"
#include "core/view.h"
#include "ops/reduce.h"

namespace qkv {

using autograd::record;

Tensor reshape(const Tensor& x, const Shape& shape) {
  return record("reshape", view::reshape(x, shape), {x}, [xs = x.shape()](const auto& c) {
    return std::vector<Tensor>{view::reshape(c.grad(), xs)};
  });
}

Tensor transpose(const Tensor& x, std::int64_t d0, std::int64_t d1) {
  return record("transpose", view::transpose(x, d0, d1), {x}, [d0, d1](const auto& c) {
    return std::vector<Tensor>{view::transpose(c.grad(), d0, d1)};
  });
}

Tensor permute(const Tensor& x, const Shape& dims) {
  Tensor out = view::permute(x, dims);
  Shape inverse(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) inverse[wrap_dim(dims[i], x.dim(), "permute")] = i;
  return record("permute", out, {x}, [inverse](const auto& c) {
    return std::vector<Tensor>{view::permute(c.grad(), inverse)};
  });
}

namespace {

// A zero gradient of `shape` with g written into the part selected by `part`.
template <class Part>
Tensor scatter_into_zeros(const Tensor& g, const Shape& shape, Part part) {
  Tensor dx = zeros(shape, g.dtype());
  view::copy_into(part(dx), g);
  return dx;
}

}  // namespace

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  return record("narrow", view::narrow(x, dim, start, length), {x},
                [xs = x.shape(), dim, start, length](const auto& c) {
                  return std::vector<Tensor>{scatter_into_zeros(c.grad(), xs, [&](const Tensor& t) {
                    return view::narrow(t, dim, start, length);
                  })};
                });
}

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  return record("select", view::select(x, dim, index), {x},
                [xs = x.shape(), dim, index](const auto& c) {
                  return std::vector<Tensor>{scatter_into_zeros(
                      c.grad(), xs, [&](const Tensor& t) { return view::select(t, dim, index); })};
                });
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  return record("unsqueeze", view::unsqueeze(x, dim), {x}, [xs = x.shape()](const auto& c) {
    return std::vector<Tensor>{view::reshape(c.grad(), xs)};
  });
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  return record("squeeze", view::squeeze(x, dim), {x}, [xs = x.shape()](const auto& c) {
    return std::vector<Tensor>{view::reshape(c.grad(), xs)};
  });
}

Tensor expand(const Tensor& x, const Shape& shape) {
  return record("expand", view::expand(x, shape), {x}, [xs = x.shape()](const auto& c) {
    return std::vector<Tensor>{sum_to(c.grad(), xs)};
  });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return record("contiguous", view::clone(x), {x},
                [](const auto& c) { return std::vector<Tensor>{c.grad()}; });
}

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  check(!xs.empty(), "cat: no tensors given");
  const Tensor& first = xs.front();
  dim = wrap_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[dim] = 0;
  for (const auto& x : xs) {
    check(x.dim() == first.dim() && x.dtype() == first.dtype(), "cat: tensor of shape ", x.shape(),
          " and dtype ", dtype_name(x.dtype()), " does not match ", first.shape(), " ",
          dtype_name(first.dtype()));
    for (std::int64_t d = 0; d < x.dim(); ++d)
      check(d == dim || x.shape()[d] == first.shape()[d], "cat: shapes ", first.shape(), " and ",
            x.shape(), " differ outside dim ", dim);
    shape[dim] += x.shape()[dim];
  }
  Tensor out = Tensor::empty(shape, first.dtype());
  std::vector<std::int64_t> starts;
  std::int64_t start = 0;
  for (const auto& x : xs) {
    starts.push_back(start);
    view::copy_into(view::narrow(out, dim, start, x.shape()[dim]), x);
    start += x.shape()[dim];
  }
  std::vector<std::int64_t> lengths;
  for (const auto& x : xs) lengths.push_back(x.shape()[dim]);
  return record("cat", out, xs, [dim, starts, lengths](const auto& c) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i)
      grads.push_back(c.needs(i) ? view::narrow(c.grad(), dim, starts[i], lengths[i]) : Tensor());
    return grads;
  });
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const std::int64_t lead = g.dim() - static_cast<std::int64_t>(shape.size());
  check(lead >= 0, "sum_to: cannot reduce shape ", g.shape(), " to ", shape);
  Shape dims;
  for (std::int64_t i = 0; i < g.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) dims.push_back(i);
  return reshape(sum(g, dims, true), shape);
}

}  // namespace qkv
