#pragma once
// Cross-entropy of logits against class targets, with log-softmax fused in:
// the [N, C] log-probabilities are never stored. Per row i with target t_i and
// label smoothing s,
//   lse_i  = log(sum_c exp(x[i, c]))
//   loss_i = (1 - s) (lse_i - x[i, t_i]) + s (lse_i - mean_c x[i, c]),
// which is (1 - s) nll + s mean_c(-log p_c), torch's label_smoothing. Rows whose
// target equals ignore_index have loss 0 and gradient 0. Targets must lie in
// [0, C) otherwise (the op checks; the kernels do not).

#include <cstdint>

namespace qkv::kernels {

// logits [N, C], targets [N] -> loss [N], lse [N] (saved for the backward; 0
// for ignored rows, which are skipped).
template <class T>
void cross_entropy_forward(std::int64_t n, std::int64_t c, const T* logits,
                           const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                           T* loss, T* lse);

// dlogits[i, c] = g_i (exp(x[i, c] - lse_i) - (1 - s) [c == t_i] - s / C), where
// g_i = grad[i * grad_stride] is d(result)/d(loss_i): grad_stride 1 for
// per-row gradients, 0 for one value shared by every row.
template <class T>
void cross_entropy_backward(std::int64_t n, std::int64_t c, const T* logits,
                            const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                            const T* lse, const T* grad, std::int64_t grad_stride, T* dlogits);

namespace ref {
template <class T>
void cross_entropy_forward(std::int64_t n, std::int64_t c, const T* logits,
                           const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                           T* loss, T* lse);
template <class T>
void cross_entropy_backward(std::int64_t n, std::int64_t c, const T* logits,
                            const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                            const T* lse, const T* grad, std::int64_t grad_stride, T* dlogits);
}  // namespace ref

}  // namespace qkv::kernels
