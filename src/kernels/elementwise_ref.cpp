#include "core/strided.h"
#include "kernels/elementwise.h"
#include "kernels/unary_math.h"

namespace qkv::kernels::ref {

template <class T>
void binary(Binary op, const Shape& shape, const T* a, const Shape& a_strides, const T* b,
            const Shape& b_strides, T* out) {
  std::vector<std::int64_t> ob(numel(shape));
  for_each_offset(shape, b_strides, [&](std::int64_t i, std::int64_t o) { ob[i] = o; });
  for_each_offset(shape, a_strides, [&](std::int64_t i, std::int64_t o) {
    out[i] = detail::binary_value(op, a[o], b[ob[i]]);
  });
}

template <class T>
void unary(Unary op, std::int64_t n, const T* x, T* y) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = detail::unary_value(op, x[i]);
}

template <class T>
void unary_backward(Unary op, std::int64_t n, const T* x, const T* y, const T* dy, T* dx) {
  for (std::int64_t i = 0; i < n; ++i)
    dx[i] = dy[i] * detail::unary_derivative(op, x ? x[i] : T(0), y ? y[i] : T(0));
}

#define QKV_INSTANTIATE(T)                                                                \
  template void binary<T>(Binary, const Shape&, const T*, const Shape&, const T*,         \
                          const Shape&, T*);                                              \
  template void unary<T>(Unary, std::int64_t, const T*, T*);                              \
  template void unary_backward<T>(Unary, std::int64_t, const T*, const T*, const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
