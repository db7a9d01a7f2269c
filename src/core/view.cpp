#include "core/view.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <type_traits>

#include "core/strided.h"

namespace qkv::view {

Tensor as_strided(const Tensor& t, Shape shape, Shape strides, std::int64_t offset) {
  return Tensor::view_of(t.storage(), std::move(shape), std::move(strides), offset, t.dtype());
}

namespace {

// Strides that view t's elements under `shape` without copying, or empty if
// the layout does not allow it (PyTorch's computeStride rule: dims of t that
// are merged must be contiguous with each other).
std::optional<Shape> view_strides(const Tensor& t, const Shape& shape) {
  if (t.numel() == 0) return contiguous_strides(shape);
  Shape out(shape.size());
  const Shape& old_shape = t.shape();
  const Shape& old_strides = t.strides();
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.empty() ? 1 : old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = static_cast<std::int64_t>(old_shape.size()) - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor reshape(const Tensor& t, Shape shape) {
  std::int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer < 0, "reshape: more than one -1 in ", shape);
      infer = static_cast<std::int64_t>(i);
    } else {
      check(shape[i] >= 0, "reshape: negative size in ", shape);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    check(known != 0 && t.numel() % known == 0, "reshape: cannot infer -1 in ", shape,
          " for a tensor of shape ", t.shape());
    shape[infer] = t.numel() / known;
  }
  check(numel(shape) == t.numel(), "reshape: shape ", shape, " does not hold the ", t.numel(),
        " elements of a tensor of shape ", t.shape());
  if (auto strides = view_strides(t, shape)) return as_strided(t, shape, *strides, t.offset());
  Tensor c = clone(t);
  return as_strided(c, shape, contiguous_strides(shape), 0);
}

Tensor transpose(const Tensor& t, std::int64_t d0, std::int64_t d1) {
  d0 = wrap_dim(d0, t.dim(), "transpose");
  d1 = wrap_dim(d1, t.dim(), "transpose");
  Shape shape = t.shape(), strides = t.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return as_strided(t, shape, strides, t.offset());
}

Tensor permute(const Tensor& t, const Shape& dims) {
  check(static_cast<std::int64_t>(dims.size()) == t.dim(), "permute: ", dims.size(),
        " dims given for a tensor of rank ", t.dim());
  Shape shape(dims.size()), strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    std::int64_t d = wrap_dim(dims[i], t.dim(), "permute");
    check(!seen[d], "permute: dim ", d, " repeated in ", dims);
    seen[d] = true;
    shape[i] = t.shape()[d];
    strides[i] = t.strides()[d];
  }
  return as_strided(t, shape, strides, t.offset());
}

Tensor narrow(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t length) {
  dim = wrap_dim(dim, t.dim(), "narrow");
  check(start >= 0 && length >= 0 && start + length <= t.shape()[dim], "narrow: range [", start,
        ", ", start + length, ") is outside dim ", dim, " of size ", t.shape()[dim]);
  Shape shape = t.shape();
  shape[dim] = length;
  return as_strided(t, shape, t.strides(), t.offset() + start * t.strides()[dim]);
}

Tensor select(const Tensor& t, std::int64_t dim, std::int64_t index) {
  dim = wrap_dim(dim, t.dim(), "select");
  const std::int64_t n = t.shape()[dim];
  check(index >= -n && index < n, "select: index ", index, " is outside dim ", dim, " of size ",
        n);
  if (index < 0) index += n;
  Shape shape = t.shape(), strides = t.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return as_strided(t, shape, strides, t.offset() + index * t.strides()[dim]);
}

Tensor unsqueeze(const Tensor& t, std::int64_t dim) {
  dim = wrap_dim(dim, t.dim() + 1, "unsqueeze");
  Shape shape = t.shape(), strides = t.strides();
  std::int64_t s = dim < t.dim() ? t.strides()[dim] * t.shape()[dim] : 1;
  shape.insert(shape.begin() + dim, 1);
  strides.insert(strides.begin() + dim, s);
  return as_strided(t, shape, strides, t.offset());
}

Tensor squeeze(const Tensor& t, std::int64_t dim) {
  dim = wrap_dim(dim, t.dim(), "squeeze");
  check(t.shape()[dim] == 1, "squeeze: dim ", dim, " has size ", t.shape()[dim], ", not 1");
  Shape shape = t.shape(), strides = t.strides();
  shape.erase(shape.begin() + dim);
  strides.erase(strides.begin() + dim);
  return as_strided(t, shape, strides, t.offset());
}

Tensor expand(const Tensor& t, const Shape& shape) {
  check(shape.size() >= t.shape().size(), "expand: cannot expand shape ", t.shape(), " to ",
        shape);
  const std::size_t lead = shape.size() - t.shape().size();
  Shape strides(shape.size(), 0);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) continue;
    std::int64_t have = t.shape()[i - lead];
    check(have == shape[i] || have == 1, "expand: cannot expand shape ", t.shape(), " to ",
          shape);
    strides[i] = have == shape[i] ? t.strides()[i - lead] : 0;
  }
  return as_strided(t, shape, strides, t.offset());
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor clone(const Tensor& t) {
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  copy_into(out, t);
  return out;
}

namespace {

template <class D, class S>
void copy_typed(const Tensor& dst, const Tensor& src) {
  D* d = static_cast<D*>(dst.storage()->data()) + dst.offset();
  const S* s = static_cast<const S*>(src.storage()->data()) + src.offset();
  auto convert = [](S v) {
    if constexpr (std::is_same_v<S, bf16>) {
      if constexpr (std::is_same_v<D, bf16>) return v;
      else return static_cast<D>(v.to_float());
    } else if constexpr (std::is_same_v<D, bf16>) {
      return bf16::from_float(static_cast<float>(v));
    } else {
      return static_cast<D>(v);
    }
  };
  if (dst.is_contiguous() && src.is_contiguous()) {
    const std::int64_t n = dst.numel();
    if constexpr (std::is_same_v<D, S>) {
      std::memcpy(d, s, n * sizeof(D));
    } else {
      for (std::int64_t i = 0; i < n; ++i) d[i] = convert(s[i]);
    }
    return;
  }
  std::vector<std::int64_t> src_off(src.numel());
  for_each_offset(src.shape(), src.strides(), [&](std::int64_t i, std::int64_t o) { src_off[i] = o; });
  for_each_offset(dst.shape(), dst.strides(),
                  [&](std::int64_t i, std::int64_t o) { d[o] = convert(s[src_off[i]]); });
}

template <class D>
void copy_from_any(const Tensor& dst, const Tensor& src) {
  switch (src.dtype()) {
    case DType::f32: return copy_typed<D, float>(dst, src);
    case DType::f64: return copy_typed<D, double>(dst, src);
    case DType::bf16: return copy_typed<D, bf16>(dst, src);
    case DType::i64: return copy_typed<D, std::int64_t>(dst, src);
  }
}

}  // namespace

void copy_into(const Tensor& dst, const Tensor& src) {
  check(dst.shape() == src.shape(), "copy: destination shape ", dst.shape(),
        " differs from source shape ", src.shape());
  switch (dst.dtype()) {
    case DType::f32: return copy_from_any<float>(dst, src);
    case DType::f64: return copy_from_any<double>(dst, src);
    case DType::bf16: return copy_from_any<bf16>(dst, src);
    case DType::i64: return copy_from_any<std::int64_t>(dst, src);
  }
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype && t.is_contiguous()) return t;
  Tensor out = Tensor::empty(t.shape(), dtype);
  copy_into(out, t);
  return out;
}

}  // namespace qkv::view
