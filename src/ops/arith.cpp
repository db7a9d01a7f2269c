#include "ops/arith.h"

#include "autograd/engine.h"
#include "autograd/record.h"
#include "core/view.h"
#include "kernels/elementwise.h"
#include "ops/checks.h"
#include "ops/shape.h"
#include "ops/unary.h"

namespace qkv {

namespace {

Tensor binary_forward(const char* name, kernels::Binary op, const Tensor& a, const Tensor& b) {
  detail::require_floating(a, name, "a");
  detail::require_floating(b, name, "b");
  detail::require_same_dtype(a, b, name);
  const Shape shape = broadcast_shapes(a.shape(), b.shape());
  const Tensor ea = view::expand(a, shape), eb = view::expand(b, shape);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch_floating(a.dtype(), name, [&]<class T>() {
    kernels::binary<T>(op, shape, a.data<T>(), ea.strides(), b.data<T>(), eb.strides(),
                       out.data<T>());
  });
  return out;
}

Tensor unary_forward(const char* name, kernels::Unary op, const Tensor& x, bool save_input) {
  detail::require_floating(x, name, "x");
  const Tensor xc = view::contiguous(x);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), name, [&]<class T>() {
    kernels::unary<T>(op, x.numel(), xc.data<T>(), y.data<T>());
  });
  // The derivative of exp, sqrt, tanh and sigmoid reads y; the others read x.
  const Tensor saved_x = save_input ? xc : Tensor();
  // Detached: capturing y itself would make the cycle y -> node -> y.
  const Tensor saved_y = save_input ? Tensor() : autograd::detach(y);
  return autograd::record(name, y, {x}, [op, saved_x, saved_y](const autograd::BackwardContext& c) {
    const Tensor g = view::contiguous(c.grad());
    Tensor dx = Tensor::empty(g.shape(), g.dtype());
    dispatch_floating(g.dtype(), "unary backward", [&]<class T>() {
      kernels::unary_backward<T>(op, g.numel(), saved_x.defined() ? saved_x.data<T>() : nullptr,
                                 saved_y.defined() ? saved_y.data<T>() : nullptr, g.data<T>(),
                                 dx.data<T>());
    });
    return std::vector<Tensor>{dx};
  });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("add", kernels::Binary::add, a, b);
  return autograd::record("add", out, {a, b}, [sa = a.shape(), sb = b.shape()](const auto& c) {
    return std::vector<Tensor>{c.needs(0) ? sum_to(c.grad(), sa) : Tensor(),
                               c.needs(1) ? sum_to(c.grad(), sb) : Tensor()};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("sub", kernels::Binary::sub, a, b);
  return autograd::record("sub", out, {a, b}, [sa = a.shape(), sb = b.shape()](const auto& c) {
    return std::vector<Tensor>{c.needs(0) ? sum_to(c.grad(), sa) : Tensor(),
                               c.needs(1) ? sum_to(neg(c.grad()), sb) : Tensor()};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("mul", kernels::Binary::mul, a, b);
  return autograd::record("mul", out, {a, b}, [a, b](const auto& c) {
    return std::vector<Tensor>{c.needs(0) ? sum_to(mul(c.grad(), b), a.shape()) : Tensor(),
                               c.needs(1) ? sum_to(mul(c.grad(), a), b.shape()) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward("div", kernels::Binary::div, a, b);
  return autograd::record("div", out, {a, b}, [a, b, out = autograd::detach(out)](const auto& c) {
    // d(a/b)/db = -(a/b)/b
    return std::vector<Tensor>{c.needs(0) ? sum_to(div(c.grad(), b), a.shape()) : Tensor(),
                               c.needs(1) ? sum_to(neg(div(mul(c.grad(), out), b)), b.shape())
                                          : Tensor()};
  });
}

Tensor affine(const Tensor& a, double scale, double shift) {
  detail::require_floating(a, "affine", "a");
  const Tensor ac = view::contiguous(a);
  Tensor y = Tensor::empty(a.shape(), a.dtype());
  dispatch_floating(a.dtype(), "affine", [&]<class T>() {
    kernels::affine<T>(a.numel(), ac.data<T>(), T(scale), T(shift), y.data<T>());
  });
  return autograd::record("affine", y, {a}, [scale](const auto& c) {
    return std::vector<Tensor>{affine(c.grad(), scale, 0)};
  });
}

Tensor pow(const Tensor& x, double exponent) {
  detail::require_floating(x, "pow", "x");
  const Tensor xc = view::contiguous(x);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "pow", [&]<class T>() {
    kernels::pow<T>(x.numel(), xc.data<T>(), T(exponent), y.data<T>());
  });
  return autograd::record("pow", y, {x}, [xc, exponent](const auto& c) {
    const Tensor g = view::contiguous(c.grad());
    Tensor dx = Tensor::empty(g.shape(), g.dtype());
    dispatch_floating(g.dtype(), "pow backward", [&]<class T>() {
      kernels::pow_backward<T>(g.numel(), xc.data<T>(), T(exponent), g.data<T>(), dx.data<T>());
    });
    return std::vector<Tensor>{dx};
  });
}

Tensor neg(const Tensor& x) { return affine(x, -1, 0); }
Tensor exp(const Tensor& x) { return unary_forward("exp", kernels::Unary::exp, x, false); }
Tensor log(const Tensor& x) { return unary_forward("log", kernels::Unary::log, x, true); }
Tensor sqrt(const Tensor& x) { return unary_forward("sqrt", kernels::Unary::sqrt, x, false); }
Tensor square(const Tensor& x) { return unary_forward("square", kernels::Unary::square, x, true); }

namespace detail {
Tensor unary_op(const char* name, kernels::Unary op, const Tensor& x, bool save_input) {
  return unary_forward(name, op, x, save_input);
}
}  // namespace detail

}  // namespace qkv
