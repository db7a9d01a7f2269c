#include "core/tensor.h"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "core/strided.h"

namespace qkv {

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (auto s : shape) check(s >= 0, "negative size in shape ", shape);
  auto storage = std::make_shared<Storage>(qkv::numel(shape) * dtype_size(dtype));
  return view_of(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::view_of(std::shared_ptr<Storage> storage, Shape shape, Shape strides,
                       std::int64_t offset, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

std::int64_t Tensor::stride(std::int64_t d) const {
  return strides()[wrap_dim(d, dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (std::int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] != 1 && strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(storage()->data()) + offset() * dtype_size(dtype());
}

namespace {

template <class T>
T element_as(const Tensor& t, std::int64_t off) {
  const char* base = static_cast<const char*>(t.storage()->data());
  switch (t.dtype()) {
    case DType::f32: return static_cast<T>(reinterpret_cast<const float*>(base)[off]);
    case DType::f64: return static_cast<T>(reinterpret_cast<const double*>(base)[off]);
    case DType::bf16: return static_cast<T>(reinterpret_cast<const bf16*>(base)[off].to_float());
    case DType::i64: return static_cast<T>(reinterpret_cast<const std::int64_t*>(base)[off]);
  }
  return T{};
}

}  // namespace

template <class T>
T Tensor::item() const {
  check(numel() == 1, "item() needs a one-element tensor, got shape ", shape());
  return element_as<T>(*this, offset());
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(numel());
  for_each_offset(shape(), strides(), [&](std::int64_t i, std::int64_t off) {
    out[i] = element_as<T>(*this, offset() + off);
  });
  return out;
}

template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template std::int64_t Tensor::item<std::int64_t>() const;
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

const Tensor& Tensor::set_requires_grad(bool on) const {
  check(!on || is_floating(dtype()), "only floating tensors can require gradients, got ",
        dtype_name(dtype()));
  check(on || is_leaf(), "set_requires_grad(false) on a non-leaf tensor; use detach()");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl().grad); }

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined())
    check(g.shape() == shape(), "gradient of shape ", g.shape(), " for a tensor of shape ",
          shape());
  impl().grad = g.impl_ptr();
}

namespace {

// Prints like PyTorch: nested brackets, and "..." past 3 leading/trailing
// entries of any dim longer than 6 when the tensor is large.
void print_rec(std::ostream& os, const Tensor& t, std::size_t d, std::int64_t off, bool summarize,
               int indent) {
  const std::int64_t n = t.shape()[d];
  const bool last = d + 1 == t.shape().size();
  os << '[';
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarize && n > 6 && i == 3) {
      os << (last ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - 3;
    }
    std::int64_t o = off + i * t.strides()[d];
    if (last) {
      if (t.dtype() == DType::i64) {
        os << element_as<std::int64_t>(t, o);
      } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4f", element_as<double>(t, o));
        os << buf;
      }
    } else {
      print_rec(os, t, d + 1, o, summarize, indent + 1);
    }
    if (i + 1 < n) os << (last ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  if (dim() == 0) {
    if (dtype() == DType::i64) {
      os << element_as<std::int64_t>(*this, offset());
    } else {
      os << element_as<double>(*this, offset());
    }
  } else if (numel() == 0) {
    os << "[]";
  } else {
    print_rec(os, *this, 0, offset(), numel() > 1000, 7);
  }
  os << ", shape=" << shape() << ", dtype=" << dtype_name(dtype());
  if (requires_grad()) os << ", requires_grad";
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.to_string(); }

}  // namespace qkv
