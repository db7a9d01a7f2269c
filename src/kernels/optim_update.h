#pragma once
// Fused optimizer updates over one parameter's dense span of n elements. Each
// call does in one pass what torch.optim (1.13, single-tensor path) does in
// several tensor ops, in the same order and with the same roundings:
// hyper-parameters are computed in double and rounded to T where PyTorch
// passes them to a T kernel.

#include <cstdint>

namespace qkv::kernels {

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  // AdamW (Loshchilov & Hutter): param *= 1 - lr * weight_decay before the
  // Adam step. Otherwise weight_decay is an L2 term added to the gradient.
  bool decoupled_weight_decay = false;
};

// One Adam/AdamW step; `step` is this parameter's step count after the
// increment (1 on the first update), used for bias correction:
//   g' = g (+ wd * p for L2);  m = b1 m + (1 - b1) g';  v = b2 v + (1 - b2) g'^2
//   p -= lr / (1 - b1^step) * m / (sqrt(v) / sqrt(1 - b2^step) + eps)
template <class T>
void adam_update(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                 const AdamConfig& config, std::int64_t step);

struct SgdConfig {
  double lr = 0;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

// One SGD step:
//   d = g + wd * p
//   buf = d on the first step, else momentum * buf + (1 - dampening) * d
//   d = d + momentum * buf (nesterov) or buf;  p -= lr * d
// momentum_buf is unused (may be null) when config.momentum == 0.
template <class T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* momentum_buf, const SgdConfig& config,
                bool first_step);

// Sum of x[i]^2, accumulated in double.
template <class T>
double sum_squares(std::int64_t n, const T* x);

namespace ref {
template <class T>
void adam_update(std::int64_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                 const AdamConfig& config, std::int64_t step);
template <class T>
void sgd_update(std::int64_t n, T* param, const T* grad, T* momentum_buf, const SgdConfig& config,
                bool first_step);
template <class T>
double sum_squares(std::int64_t n, const T* x);
}  // namespace ref

}  // namespace qkv::kernels
