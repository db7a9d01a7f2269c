#include "kernels/optim_update.h"

#include <cmath>

namespace qkv::kernels {

namespace {

// Below this many elements one thread is faster than waking the pool.
constexpr std::int64_t kParallelThreshold = 32768;

// The weight-decay variant is a template argument so that each loop body is
// branch-free and vectorises.
enum class Decay { none, l2, decoupled };

template <Decay kDecay, class T>
void adam_loop(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
               const AdamConfig& c, std::int64_t step) {
  const double bias_correction1 = 1 - std::pow(c.beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(c.beta2, static_cast<double>(step));
  const T neg_step_size = static_cast<T>(-(c.lr / bias_correction1));
  const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(c.beta1), one_minus_beta1 = static_cast<T>(1 - c.beta1);
  const T beta2 = static_cast<T>(c.beta2), one_minus_beta2 = static_cast<T>(1 - c.beta2);
  const T eps = static_cast<T>(c.eps);
  const T l2 = static_cast<T>(c.weight_decay);
  const T shrink = static_cast<T>(1 - c.lr * c.weight_decay);
#pragma omp parallel for simd schedule(static) if (n > kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    T p = param[i];
    T g = grad[i];
    if constexpr (kDecay == Decay::decoupled) p = p * shrink;
    if constexpr (kDecay == Decay::l2) g = g + l2 * p;
    const T m = exp_avg[i] * beta1 + one_minus_beta1 * g;
    const T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    param[i] = p + neg_step_size * m / (std::sqrt(v) / bc2_sqrt + eps);
  }
}

template <bool kDecay, bool kNesterov, class T>
void sgd_momentum_loop(std::int64_t n, T* param, const T* grad, T* buf, const SgdConfig& c,
                       bool first_step) {
  const T wd = static_cast<T>(c.weight_decay);
  const T momentum = static_cast<T>(c.momentum);
  const T one_minus_dampening = static_cast<T>(1 - c.dampening);
  const T neg_lr = static_cast<T>(-c.lr);
#pragma omp parallel for simd schedule(static) if (n > kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    T d = grad[i];
    if constexpr (kDecay) d = d + wd * param[i];
    // The first step starts the buffer at d; its old contents may be uninitialised.
    const T b = first_step ? d : buf[i] * momentum + one_minus_dampening * d;
    buf[i] = b;
    if constexpr (kNesterov)
      d = d + momentum * b;
    else
      d = b;
    param[i] = param[i] + neg_lr * d;
  }
}

template <bool kDecay, class T>
void sgd_plain_loop(std::int64_t n, T* param, const T* grad, const SgdConfig& c) {
  const T wd = static_cast<T>(c.weight_decay);
  const T neg_lr = static_cast<T>(-c.lr);
#pragma omp parallel for simd schedule(static) if (n > kParallelThreshold)
  for (std::int64_t i = 0; i < n; ++i) {
    T d = grad[i];
    if constexpr (kDecay) d = d + wd * param[i];
    param[i] = param[i] + neg_lr * d;
  }
}

}  // namespace

template <class T>
void adam_update(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                 const AdamConfig& c, std::int64_t step) {
  if (c.decoupled_weight_decay)
    adam_loop<Decay::decoupled>(n, param, grad, exp_avg, exp_avg_sq, c, step);
  else if (c.weight_decay != 0)
    adam_loop<Decay::l2>(n, param, grad, exp_avg, exp_avg_sq, c, step);
  else
    adam_loop<Decay::none>(n, param, grad, exp_avg, exp_avg_sq, c, step);
}

template <class T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* momentum_buf, const SgdConfig& c,
                bool first_step) {
  const bool decay = c.weight_decay != 0;
  if (c.momentum == 0) {
    if (decay) return sgd_plain_loop<true>(n, param, grad, c);
    return sgd_plain_loop<false>(n, param, grad, c);
  }
  if (decay && c.nesterov)
    return sgd_momentum_loop<true, true>(n, param, grad, momentum_buf, c, first_step);
  if (decay) return sgd_momentum_loop<true, false>(n, param, grad, momentum_buf, c, first_step);
  if (c.nesterov)
    return sgd_momentum_loop<false, true>(n, param, grad, momentum_buf, c, first_step);
  sgd_momentum_loop<false, false>(n, param, grad, momentum_buf, c, first_step);
}

template <class T>
double sum_squares(std::int64_t n, const T* x) {
  double s = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : s) if (n > kParallelThreshold)
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

}  // namespace qkv::kernels
