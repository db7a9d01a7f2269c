#include "kernels/attention_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention_visibility.h"
#include "kernels/row_simd.h"

namespace qkv::kernels {

namespace {

// Below this many multiply-adds a call runs on one thread.
constexpr double kParallelWork = 1 << 15;

template <class T>
T dot(std::int64_t n, const T* a, const T* b) {
  double s = 0;
  for (std::int64_t c = 0; c < n; ++c) s += double(a[c]) * double(b[c]);
  return static_cast<T>(s);
}

// o += w x, n wide.
template <class T>
void axpy(std::int64_t n, T w, const T* x, T* o) {
  for (std::int64_t c = 0; c < n; ++c) o[c] += w * x[c];
}

#ifdef QKV_SIMD_VEC
template <>
float dot<float>(std::int64_t n, const float* a, const float* b) {
  using namespace simd;
  Vec s = zero();
  for_each_vector(n, [&](std::int64_t j, auto m) { s = fmadd(load(a + j, m), load(b + j, m), s); });
  return reduce_add(s);
}

template <>
void axpy<float>(std::int64_t n, float w, const float* x, float* o) {
  using namespace simd;
  const Vec vw = set1(w);
  for_each_vector(n, [&](std::int64_t j, auto m) {
    store(o + j, m, fmadd(vw, load(x + j, m), load(o + j, m)));
  });
}
#endif

}  // namespace

// Per query row: the visible scores into a scratch row, their max and the sum
// of exponentials, then o = sum_j dropout(p_j) v_j. Rows of different (batch,
// head) pairs go to different threads; each writes only its own o and lse.
template <class T>
void attention_forward_rows(const AttentionDims& d, T scale, const AttentionMask<T>& mask,
                            const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                            T* o, T* lse) {
  const std::int64_t rows = d.batch * d.heads * d.q_len, group = d.heads / d.kv_heads;
  const double work = double(rows) * double(d.k_len) * double(d.head_dim + d.value_dim);
  const T keep = dropout.p > 0 ? static_cast<T>(1 / (1 - dropout.p)) : T(1);
#pragma omp parallel if (rows > 1 && work > kParallelWork)
  {
    std::vector<T> s(d.k_len);
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t i = r % d.q_len, bh = r / d.q_len;
      const std::int64_t b = bh / d.heads, head = bh % d.heads;
      const std::int64_t kv = b * d.kv_heads + head / group;
      const T* qi = q + r * d.head_dim;
      const T* kh = k + kv * d.k_len * d.head_dim;
      const T* vh = v + kv * d.k_len * d.value_dim;
      T* oi = o + r * d.value_dim;
      T max = -std::numeric_limits<T>::infinity();
      for (std::int64_t j = 0; j < d.k_len; ++j) {
        s[j] = visible(d, mask, b, head, i, j) ? scale * dot(d.head_dim, qi, kh + j * d.head_dim) +
                                                     additive_term(mask, b, head, i, j)
                                               : -std::numeric_limits<T>::infinity();
        max = std::max(max, s[j]);
      }
      std::fill(oi, oi + d.value_dim, T(0));
      if (max == -std::numeric_limits<T>::infinity()) {
        lse[r] = max;  // no visible key: o = 0
        continue;
      }
      double sum = 0;
      for (std::int64_t j = 0; j < d.k_len; ++j) sum += s[j] = std::exp(s[j] - max);
      const T inv = static_cast<T>(1 / sum);
      const std::uint64_t first = static_cast<std::uint64_t>(r) * d.k_len;
      for (std::int64_t j = 0; j < d.k_len; ++j) {
        if (s[j] == 0) continue;
        if (dropout.p > 0 && !dropout_keeps(dropout, first + j)) continue;
        axpy(d.value_dim, s[j] * inv * keep, vh + j * d.value_dim, oi);
      }
      lse[r] = static_cast<T>(max + std::log(sum));
    }
  }
}

template void attention_forward_rows<float>(const AttentionDims&, float,
                                            const AttentionMask<float>&, const AttentionDropout&,
                                            const float*, const float*, const float*, float*,
                                            float*);
template void attention_forward_rows<double>(const AttentionDims&, double,
                                             const AttentionMask<double>&, const AttentionDropout&,
                                             const double*, const double*, const double*, double*,
                                             double*);

}  // namespace qkv::kernels
