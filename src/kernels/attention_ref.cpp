#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_visibility.h"

namespace qkv::kernels::ref {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The weights of one (batch, query head) as a dense [Tq, Tk] array in double:
// the scores, masked, softmaxed per row (a row with no visible key is all 0).
// Also returns lse per row (-inf for such a row).
template <class T>
void softmax_weights(const AttentionDims& d, T scale, const AttentionMask<T>& mask, std::int64_t b,
                     std::int64_t head, const T* q, const T* k, std::vector<double>& p,
                     std::vector<double>& lse) {
  const std::int64_t tq = d.q_len, tk = d.k_len, dh = d.head_dim;
  const std::int64_t kv_head = head / (d.heads / d.kv_heads);
  const T* qh = q + (b * d.heads + head) * tq * dh;
  const T* kh = k + (b * d.kv_heads + kv_head) * tk * dh;

  // k transposed to [dh, Tk], so the score loop runs along contiguous keys.
  std::vector<double> kt(dh * tk);
  for (std::int64_t j = 0; j < tk; ++j)
    for (std::int64_t c = 0; c < dh; ++c) kt[c * tk + j] = kh[j * dh + c];

  p.assign(tq * tk, 0.0);
  lse.assign(tq, -kInf);
  for (std::int64_t i = 0; i < tq; ++i) {
    double* s = &p[i * tk];
    for (std::int64_t c = 0; c < dh; ++c) {
      const double qc = qh[i * dh + c];
      for (std::int64_t j = 0; j < tk; ++j) s[j] += qc * kt[c * tk + j];
    }
    for (std::int64_t j = 0; j < tk; ++j) {
      s[j] = visible(d, mask, b, head, i, j)
                 ? s[j] * double(scale) + double(additive_term(mask, b, head, i, j))
                 : -kInf;
    }
    double max = -kInf;
    for (std::int64_t j = 0; j < tk; ++j) max = std::max(max, s[j]);
    if (max == -kInf) {
      for (std::int64_t j = 0; j < tk; ++j) s[j] = 0;
      continue;
    }
    double sum = 0;
    for (std::int64_t j = 0; j < tk; ++j) sum += s[j] = std::exp(s[j] - max);
    for (std::int64_t j = 0; j < tk; ++j) s[j] /= sum;
    lse[i] = max + std::log(sum);
  }
}

// The dropout factor of each weight of one (batch, query head), 0 or 1 / (1 - p);
// empty when dropout is off.
std::vector<double> dropout_factors(const AttentionDims& d, const AttentionDropout& dropout,
                                    std::int64_t b, std::int64_t head) {
  if (dropout.p == 0) return {};
  const std::int64_t n = d.q_len * d.k_len;
  const std::uint64_t first = static_cast<std::uint64_t>((b * d.heads + head) * n);
  std::vector<double> f(n);
  for (std::int64_t e = 0; e < n; ++e)
    f[e] = dropout_keeps(dropout, first + e) ? 1.0 / (1.0 - dropout.p) : 0.0;
  return f;
}

}  // namespace

template <class T>
void attention_forward(const AttentionDims& d, T scale, const AttentionMask<T>& mask,
                       const AttentionDropout& dropout, const T* q, const T* k, const T* v, T* o,
                       T* lse) {
  const std::int64_t tq = d.q_len, tk = d.k_len, dv = d.value_dim;
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t bh = 0; bh < d.batch * d.heads; ++bh) {
    const std::int64_t b = bh / d.heads, head = bh % d.heads;
    const std::int64_t kv_head = head / (d.heads / d.kv_heads);
    std::vector<double> p, row_lse, acc(dv);
    softmax_weights(d, scale, mask, b, head, q, k, p, row_lse);
    const std::vector<double> drop = dropout_factors(d, dropout, b, head);
    for (std::size_t e = 0; e < drop.size(); ++e) p[e] *= drop[e];
    const T* vh = v + (b * d.kv_heads + kv_head) * tk * dv;
    for (std::int64_t i = 0; i < tq; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::int64_t j = 0; j < tk; ++j) {
        const double w = p[i * tk + j];
        for (std::int64_t e = 0; e < dv; ++e) acc[e] += w * vh[j * dv + e];
      }
      for (std::int64_t e = 0; e < dv; ++e) o[(bh * tq + i) * dv + e] = static_cast<T>(acc[e]);
      lse[bh * tq + i] = static_cast<T>(row_lse[i]);
    }
  }
}

template <class T>
void attention_backward(const AttentionDims& d, T scale, const AttentionMask<T>& mask,
                        const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                        const T* dout, T* dq, T* dk, T* dv) {
  const std::int64_t tq = d.q_len, tk = d.k_len, dh = d.head_dim, dvw = d.value_dim;
  const std::int64_t group = d.heads / d.kv_heads;
  // One (batch, kv head) per iteration: the query heads that share it sum into its dk, dv.
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t bg = 0; bg < d.batch * d.kv_heads; ++bg) {
    const std::int64_t b = bg / d.kv_heads;
    const T* kh = k + bg * tk * dh;
    const T* vh = v + bg * tk * dvw;
    std::vector<double> dk_acc(tk * dh, 0.0), dv_acc(tk * dvw, 0.0), vt(dvw * tk);
    for (std::int64_t j = 0; j < tk; ++j)
      for (std::int64_t e = 0; e < dvw; ++e) vt[e * tk + j] = vh[j * dvw + e];
    std::vector<double> p, row_lse, dp(tq * tk), dq_acc(dh);
    for (std::int64_t head = (bg % d.kv_heads) * group; head < (bg % d.kv_heads + 1) * group;
         ++head) {
      const std::int64_t bh = b * d.heads + head;
      softmax_weights(d, scale, mask, b, head, q, k, p, row_lse);
      const std::vector<double> drop = dropout_factors(d, dropout, b, head);
      const T* qh = q + bh * tq * dh;
      const T* doh = dout + bh * tq * dvw;
      // dv += dropped(P)^T dout; dP = (dout v^T) * dropout factor.
      std::fill(dp.begin(), dp.end(), 0.0);
      for (std::int64_t i = 0; i < tq; ++i) {
        for (std::int64_t j = 0; j < tk; ++j) {
          const double w = drop.empty() ? p[i * tk + j] : p[i * tk + j] * drop[i * tk + j];
          for (std::int64_t e = 0; e < dvw; ++e) dv_acc[j * dvw + e] += w * doh[i * dvw + e];
        }
        double* dpi = &dp[i * tk];
        for (std::int64_t e = 0; e < dvw; ++e) {
          const double g = doh[i * dvw + e];
          for (std::int64_t j = 0; j < tk; ++j) dpi[j] += g * vt[e * tk + j];
        }
        if (!drop.empty())
          for (std::int64_t j = 0; j < tk; ++j) dpi[j] *= drop[i * tk + j];
      }
      // Softmax backward per row: dS = P * (dP - sum(P * dP)); then the scores' inputs.
      for (std::int64_t i = 0; i < tq; ++i) {
        const double* pi = &p[i * tk];
        double* dsi = &dp[i * tk];
        double dot = 0;
        for (std::int64_t j = 0; j < tk; ++j) dot += pi[j] * dsi[j];
        for (std::int64_t j = 0; j < tk; ++j) dsi[j] = pi[j] * (dsi[j] - dot) * double(scale);
        std::fill(dq_acc.begin(), dq_acc.end(), 0.0);
        for (std::int64_t j = 0; j < tk; ++j) {
          for (std::int64_t c = 0; c < dh; ++c) dq_acc[c] += dsi[j] * kh[j * dh + c];
          for (std::int64_t c = 0; c < dh; ++c) dk_acc[j * dh + c] += dsi[j] * qh[i * dh + c];
        }
        for (std::int64_t c = 0; c < dh; ++c)
          dq[(bh * tq + i) * dh + c] = static_cast<T>(dq_acc[c]);
      }
    }
    for (std::int64_t n = 0; n < tk * dh; ++n) dk[bg * tk * dh + n] = static_cast<T>(dk_acc[n]);
    for (std::int64_t n = 0; n < tk * dvw; ++n) dv[bg * tk * dvw + n] = static_cast<T>(dv_acc[n]);
  }
}

template <class T>
void attention_weights(const AttentionDims& d, T scale, const AttentionMask<T>& mask, const T* q,
                       const T* k, T* w) {
  const std::int64_t n = d.q_len * d.k_len;
#pragma omp parallel for schedule(dynamic)
  for (std::int64_t bh = 0; bh < d.batch * d.heads; ++bh) {
    std::vector<double> p, lse;
    softmax_weights(d, scale, mask, bh / d.heads, bh % d.heads, q, k, p, lse);
    for (std::int64_t e = 0; e < n; ++e) w[bh * n + e] = static_cast<T>(p[e]);
  }
}

#define QKV_INSTANTIATE(T)                                                                       \
  template void attention_forward<T>(const AttentionDims&, T, const AttentionMask<T>&,           \
                                     const AttentionDropout&, const T*, const T*, const T*, T*,  \
                                     T*);                                                        \
  template void attention_backward<T>(const AttentionDims&, T, const AttentionMask<T>&,          \
                                      const AttentionDropout&, const T*, const T*, const T*,     \
                                      const T*, T*, T*, T*);                                     \
  template void attention_weights<T>(const AttentionDims&, T, const AttentionMask<T>&, const T*, \
                                     const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
