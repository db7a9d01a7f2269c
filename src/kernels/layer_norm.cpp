#include "kernels/layer_norm.h"

#include <algorithm>
#include <cmath>

#include "kernels/parallel_rows.h"
#include "kernels/row_simd.h"

namespace qkv::kernels {

namespace {

constexpr std::int64_t kParallelElements = 32768;
// Row blocks whose parameter-gradient sums the backward keeps apart.
constexpr std::int64_t kSumBlocks = 32;

template <class T>
struct Moments {
  T mean, rstd;
};

// Portable rows: double everywhere, float without a vector backend (simd_vec.h),
// with sums in double.
// Two passes (mean, then the squared deviations) over a row that stays in cache.
template <class T>
Moments<T> row_moments(std::int64_t d, const T* x, T eps) {
  double sum = 0, sq = 0;
  for (std::int64_t j = 0; j < d; ++j) sum += x[j];
  const T mean = static_cast<T>(sum / double(d));
  for (std::int64_t j = 0; j < d; ++j) sq += double(x[j] - mean) * (x[j] - mean);
  return {mean, static_cast<T>(1 / std::sqrt(sq / double(d) + eps))};
}

template <class T>
void normalize_row(std::int64_t d, const T* x, const T* w, const T* b, Moments<T> m, T* y) {
  for (std::int64_t j = 0; j < d; ++j)
    y[j] = (x[j] - m.mean) * m.rstd * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
}

// dx for one row; adds the row's terms of dweight and dbias to dw and db
// (either may be null).
template <class T>
void backward_row(std::int64_t d, const T* x, const T* w, Moments<T> m, const T* dy, T* dx, T* dw,
                  T* db) {
  double sum_g = 0, sum_gx = 0;
  for (std::int64_t j = 0; j < d; ++j) {
    const T xhat = (x[j] - m.mean) * m.rstd, g = dy[j] * (w ? w[j] : T(1));
    sum_g += g;
    sum_gx += g * xhat;
    if (dw) dw[j] += dy[j] * xhat;
    if (db) db[j] += dy[j];
  }
  const T c1 = static_cast<T>(sum_g / double(d)), c2 = static_cast<T>(sum_gx / double(d));
  for (std::int64_t j = 0; j < d; ++j) {
    const T xhat = (x[j] - m.mean) * m.rstd, g = dy[j] * (w ? w[j] : T(1));
    dx[j] = m.rstd * (g - c1 - xhat * c2);
  }
}

#ifdef QKV_SIMD_VEC
template <>
Moments<float> row_moments<float>(std::int64_t d, const float* x, float eps) {
  using namespace simd;
  const float mean = row_sum(d, x) / float(d);
  const Vec vm = set1(mean);
  Vec sq = zero();
  for_each_vector(d, [&](std::int64_t j, auto k) {
    const Vec diff = maskz_sub(k, load(x + j, k), vm);
    sq = fmadd(diff, diff, sq);
  });
  return {mean, 1.0f / std::sqrt(reduce_add(sq) / float(d) + eps)};
}

template <>
void normalize_row<float>(std::int64_t d, const float* x, const float* w, const float* b,
                          Moments<float> m, float* y) {
  using namespace simd;
  // (x - mean) rstd, not x rstd - mean rstd: with a small variance rstd is
  // large and the rounding of mean rstd would dominate.
  const Vec vm = set1(m.mean), vr = set1(m.rstd);
  for_each_vector(d, [&](std::int64_t j, auto k) {
    Vec v = mul(sub(load(x + j, k), vm), vr);
    if (w) v = mul(v, load(w + j, k));
    if (b) v = add(v, load(b + j, k));
    store(y + j, k, v);
  });
}

template <>
void backward_row<float>(std::int64_t d, const float* x, const float* w, Moments<float> m,
                         const float* dy, float* dx, float* dw, float* db) {
  using namespace simd;
  const Vec vm = set1(m.mean), vr = set1(m.rstd);
  Vec sum_g = zero(), sum_gx = zero();
  // Lanes past the row's end load dy = 0, so they add nothing.
  for_each_vector(d, [&](std::int64_t j, auto k) {
    const Vec xhat = mul(sub(load(x + j, k), vm), vr), g0 = load(dy + j, k);
    const Vec g = w ? mul(g0, load(w + j, k)) : g0;
    sum_g = add(sum_g, g);
    sum_gx = fmadd(g, xhat, sum_gx);
    if (dw) store(dw + j, k, fmadd(g0, xhat, load(dw + j, k)));
    if (db) store(db + j, k, add(load(db + j, k), g0));
  });
  const Vec c1 = set1(reduce_add(sum_g) / float(d));
  const Vec c2 = set1(reduce_add(sum_gx) / float(d));
  for_each_vector(d, [&](std::int64_t j, auto k) {
    const Vec xhat = mul(sub(load(x + j, k), vm), vr), g0 = load(dy + j, k);
    const Vec g = w ? mul(g0, load(w + j, k)) : g0;
    store(dx + j, k, mul(vr, fnmadd(xhat, c2, sub(g, c1))));
  });
}
#endif

}  // namespace

template <class T>
void layer_norm_forward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                        const T* bias, T eps, T* y, T* mean, T* rstd) {
  parallel_rows(rows, d, [&](std::int64_t r) {
    const Moments<T> m = row_moments(d, x + r * d, eps);
    mean[r] = m.mean;
    rstd[r] = m.rstd;
    normalize_row(d, x + r * d, weight, bias, m, y + r * d);
  });
}

std::int64_t layer_norm_backward_workspace(std::int64_t d) { return 2 * d * kSumBlocks; }

template <class T>
void layer_norm_backward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                         const T* mean, const T* rstd, const T* dy, T* dx, T* dweight, T* dbias,
                         T* workspace) {
  if (!dweight && !dbias) {
    parallel_rows(rows, d, [&](std::int64_t r) {
      backward_row(d, x + r * d, weight, Moments<T>{mean[r], rstd[r]}, dy + r * d, dx + r * d,
                   static_cast<T*>(nullptr), static_cast<T*>(nullptr));
    });
    return;
  }
  // The rows fall into a fixed set of blocks, each summing its dweight and
  // dbias terms into its own slice of the workspace; the slices are added in
  // block order. Blocks go to whichever thread is free, and the result does not
  // depend on the thread count.
  const std::int64_t blocks = std::min(rows, kSumBlocks);
#pragma omp parallel for schedule(dynamic, 1) if (rows * d > kParallelElements)
  for (std::int64_t blk = 0; blk < blocks; ++blk) {
    T* dw = dweight ? workspace + 2 * d * blk : nullptr;
    T* db = dbias ? workspace + 2 * d * blk + d : nullptr;
    std::fill(workspace + 2 * d * blk, workspace + 2 * d * (blk + 1), T(0));
    for (std::int64_t r = rows * blk / blocks; r < rows * (blk + 1) / blocks; ++r)
      backward_row(d, x + r * d, weight, Moments<T>{mean[r], rstd[r]}, dy + r * d, dx + r * d, dw,
                   db);
  }
#pragma omp parallel for schedule(static) if (blocks * d > kParallelElements)
  for (std::int64_t j = 0; j < d; ++j) {
    double w = 0, b = 0;
    for (std::int64_t blk = 0; blk < blocks; ++blk) {
      w += workspace[2 * d * blk + j];
      b += workspace[2 * d * blk + d + j];
    }
    if (dweight) dweight[j] = static_cast<T>(w);
    if (dbias) dbias[j] = static_cast<T>(b);
  }
}

#define QKV_INSTANTIATE(T)                                                                         \
  template void layer_norm_forward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*, T, \
                                      T*, T*, T*);                                                 \
  template void layer_norm_backward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*,   \
                                       const T*, const T*, T*, T*, T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels
