#pragma once
// Tensor: a view (shape, strides, offset, dtype) over shared Storage, plus the
// autograd state that autograd/ gives meaning to. Copying a Tensor copies the
// handle, not the data (as in PyTorch). Differentiable maths lives in ops/;
// raw layout changes in core/view.h.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace qkv {

namespace autograd {
class Node;
}

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;
  std::int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  // Autograd state, interpreted by autograd/.
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<autograd::Node> grad_fn;
  int output_nr = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A new dense tensor with uninitialised contents.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  // A view over existing storage.
  static Tensor view_of(std::shared_ptr<Storage> storage, Shape shape, Shape strides,
                        std::int64_t offset, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t size(std::int64_t dim) const;
  std::int64_t stride(std::int64_t dim) const;
  std::int64_t offset() const { return impl().offset; }
  std::int64_t numel() const { return qkv::numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }

  // Pointer to the first element; throws if T does not match the dtype.
  template <class T>
  T* data() const {
    check(dtype_of<T>() == dtype(), "tensor of dtype ", dtype_name(dtype()),
          " accessed as ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(storage()->data()) + offset();
  }
  void* raw_data() const;
  // The value of a one-element tensor, converted to T.
  template <class T>
  T item() const;
  // Elements in logical (row-major) order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // Autograd state.
  bool requires_grad() const { return defined() && impl().requires_grad; }
  // Marks a leaf as needing a gradient; returns *this for chaining.
  const Tensor& set_requires_grad(bool on) const;
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  bool is_leaf() const { return impl().grad_fn == nullptr; }

  TensorImpl& impl() const {
    check(impl_ != nullptr, "use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  std::string to_string() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Calls f.template operator()<T>() with T the C++ type of a floating dtype
// (float or double); throws for other dtypes, naming `op`.
template <class F>
decltype(auto) dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::f32: return f.template operator()<float>();
    case DType::f64: return f.template operator()<double>();
    default: fail(op, ": expected a float32 or float64 tensor, got ", dtype_name(dtype));
  }
}

}  // namespace qkv
