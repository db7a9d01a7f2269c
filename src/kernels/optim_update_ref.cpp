#include <cmath>

#include "kernels/optim_update.h"

namespace qkv::kernels::ref {

// Element by element, in the order of torch.optim's tensor ops.
template <class T>
void adam_update(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                 const AdamConfig& c, std::int64_t step) {
  const double bias_correction1 = 1 - std::pow(c.beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(c.beta2, static_cast<double>(step));
  const double step_size = c.lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  for (std::int64_t i = 0; i < n; ++i) {
    T p = param[i];
    T g = grad[i];
    if (c.decoupled_weight_decay) p = p * static_cast<T>(1 - c.lr * c.weight_decay);
    if (!c.decoupled_weight_decay && c.weight_decay != 0)
      g = g + static_cast<T>(c.weight_decay) * p;
    exp_avg[i] = exp_avg[i] * static_cast<T>(c.beta1) + static_cast<T>(1 - c.beta1) * g;
    exp_avg_sq[i] = exp_avg_sq[i] * static_cast<T>(c.beta2) + static_cast<T>(1 - c.beta2) * g * g;
    const T denom =
        std::sqrt(exp_avg_sq[i]) / static_cast<T>(bias_correction2_sqrt) + static_cast<T>(c.eps);
    param[i] = p + static_cast<T>(-step_size) * exp_avg[i] / denom;
  }
}

template <class T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* momentum_buf, const SgdConfig& c,
                bool first_step) {
  for (std::int64_t i = 0; i < n; ++i) {
    T d = grad[i];
    if (c.weight_decay != 0) d = d + static_cast<T>(c.weight_decay) * param[i];
    if (c.momentum != 0) {
      if (first_step)
        momentum_buf[i] = d;
      else
        momentum_buf[i] =
            momentum_buf[i] * static_cast<T>(c.momentum) + static_cast<T>(1 - c.dampening) * d;
      d = c.nesterov ? d + static_cast<T>(c.momentum) * momentum_buf[i] : momentum_buf[i];
    }
    param[i] = param[i] + static_cast<T>(-c.lr) * d;
  }
}

template <class T>
double sum_squares(std::int64_t n, const T* x) {
  double s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return s;
}

#define QKV_INSTANTIATE(T)                                                             \
  template void adam_update<T>(std::int64_t, T*, const T*, T*, T*, const AdamConfig&,  \
                               std::int64_t);                                          \
  template void sgd_update<T>(std::int64_t, T*, const T*, T*, const SgdConfig&, bool); \
  template double sum_squares<T>(std::int64_t, const T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
