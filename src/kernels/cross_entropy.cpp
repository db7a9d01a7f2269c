#include "kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/parallel_rows.h"
#include "kernels/row_simd.h"
#include "kernels/simd_math.h"

namespace qkv::kernels {

namespace {

// The log-sum-exp of a row and the sum of its elements.
struct RowStats {
  double lse, total;
};

// Portable rows: double everywhere, float without a vector backend (simd_vec.h),
// with sums in double.
template <class T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>)
    return simd::exp(x);
  else
    return std::exp(x);
}

template <class T>
RowStats row_stats(std::int64_t c, const T* x) {
  T max = -std::numeric_limits<T>::infinity();
  double total = 0, sum = 0;
  for (std::int64_t j = 0; j < c; ++j) {
    max = std::max(max, x[j]);
    total += x[j];
  }
  for (std::int64_t j = 0; j < c; ++j) sum += exp_of(x[j] - max);
  return {double(max) + std::log(sum), total};
}

// dx = g (exp(x - lse) - s / C), the target's own term is added by the caller.
template <class T>
void row_gradient(std::int64_t c, const T* x, T lse, T g, T uniform, T* dx) {
  for (std::int64_t j = 0; j < c; ++j) dx[j] = g * (exp_of(x[j] - lse) - uniform);
}

#ifdef QKV_SIMD_VEC
// Two passes over a row that stays in cache: max and sum, then sum of exp.
template <>
RowStats row_stats<float>(std::int64_t c, const float* x) {
  using namespace simd;
  const Vec neg_inf = set1(-__builtin_inff());
  Vec m = neg_inf, t = zero();
  for_each_vector(c, [&](std::int64_t j, auto k) {
    m = max(m, load(x + j, k, neg_inf));
    t = add(t, load(x + j, k));
  });
  const float max = reduce_max(m);
  return {double(max) + std::log(double(row_sum_exp(c, x, max))), double(reduce_add(t))};
}

template <>
void row_gradient<float>(std::int64_t c, const float* x, float lse, float g, float uniform,
                         float* dx) {
  using namespace simd;
  const Vec vl = set1(lse), vg = set1(g), vu = set1(uniform);
  for_each_vector(c, [&](std::int64_t j, auto k) {
    const Vec p = exp(sub(load(x + j, k), vl));
    store(dx + j, k, mul(vg, sub(p, vu)));
  });
}
#endif

}  // namespace

template <class T>
void cross_entropy_forward(std::int64_t n, std::int64_t c, const T* logits,
                           const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                           T* loss, T* lse) {
  const double s = smoothing;
  parallel_rows(n, c, [&](std::int64_t i) {
    if (targets[i] == ignore_index) {
      loss[i] = lse[i] = 0;
      return;
    }
    const T* x = logits + i * c;
    const RowStats st = row_stats(c, x);
    const double nll = st.lse - double(x[targets[i]]);
    const double uniform = st.lse - st.total / double(c);
    lse[i] = static_cast<T>(st.lse);
    loss[i] = static_cast<T>((1 - s) * nll + s * uniform);
  });
}

template <class T>
void cross_entropy_backward(std::int64_t n, std::int64_t c, const T* logits,
                            const std::int64_t* targets, std::int64_t ignore_index, T smoothing,
                            const T* lse, const T* grad, std::int64_t grad_stride, T* dlogits) {
  const T uniform = smoothing / T(c);
  parallel_rows(n, c, [&](std::int64_t i) {
    T* dx = dlogits + i * c;
    if (targets[i] == ignore_index) {
      std::fill(dx, dx + c, T(0));
      return;
    }
    const T g = grad[i * grad_stride];
    row_gradient(c, logits + i * c, lse[i], g, uniform, dx);
    dx[targets[i]] -= g * (T(1) - smoothing);
  });
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

}  // namespace qkv::kernels
