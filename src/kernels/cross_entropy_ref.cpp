#include <cmath>
#include <limits>

#include "kernels/cross_entropy.h"

namespace qkv::kernels::ref {

template <class T>
void cross_entropy_forward(std::int64_t n, std::int64_t c, const T* logits,
                           const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                           T* loss, T* lse) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (targets[i] == ignore_index) {
      loss[i] = lse[i] = 0;
      continue;
    }
    const T* x = logits + i * c;
    double max = -std::numeric_limits<double>::infinity(), sum = 0, total = 0;
    for (std::int64_t j = 0; j < c; ++j)
      if (!(x[j] <= max)) max = x[j];
    for (std::int64_t j = 0; j < c; ++j) {
      sum += std::exp(double(x[j]) - max);
      total += x[j];
    }
    const double row_lse = max + std::log(sum);
    lse[i] = static_cast<T>(row_lse);
    const double nll = row_lse - x[targets[i]];
    const double uniform = row_lse - total / double(c);
    loss[i] = static_cast<T>((1 - double(smoothing)) * nll + double(smoothing) * uniform);
  }
}

template <class T>
void cross_entropy_backward(std::int64_t n, std::int64_t c, const T* logits,
                            const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                            const T* lse, const T* grad, std::int64_t grad_stride, T* dlogits) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T* x = logits + i * c;
    T* dx = dlogits + i * c;
    const bool ignored = targets[i] == ignore_index;
    const double g = grad[i * grad_stride];
    for (std::int64_t j = 0; j < c; ++j) {
      const double target = (j == targets[i] ? 1 - double(smoothing) : 0) + smoothing / double(c);
      dx[j] = ignored ? T(0) : static_cast<T>(g * (std::exp(double(x[j]) - lse[i]) - target));
    }
  }
}

#define QKV_INSTANTIATE(T)                                                                \
  template void cross_entropy_forward<T>(std::int64_t, std::int64_t, const T*,            \
                                         const std::int64_t*, std::int64_t, T, T*, T*);   \
  template void cross_entropy_backward<T>(std::int64_t, std::int64_t, const T*,           \
                                          const std::int64_t*, std::int64_t, T, const T*, \
                                          const T*, std::int64_t, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
