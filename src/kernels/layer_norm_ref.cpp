#include <cmath>
#include <vector>

#include "kernels/layer_norm.h"

namespace qkv::kernels::ref {

template <class T>
void layer_norm_forward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                        const T* bias, T eps, T* y, T* mean, T* rstd) {
  for (std::int64_t r = 0; r < rows; ++r, x += d, y += d) {
    double sum = 0, sq = 0;
    for (std::int64_t j = 0; j < d; ++j) sum += x[j];
    const double mu = sum / double(d);
    for (std::int64_t j = 0; j < d; ++j) sq += (x[j] - mu) * (x[j] - mu);
    const double rs = 1 / std::sqrt(sq / double(d) + eps);
    for (std::int64_t j = 0; j < d; ++j)
      y[j] = static_cast<T>((x[j] - mu) * rs * (weight ? weight[j] : 1) + (bias ? bias[j] : 0));
    mean[r] = static_cast<T>(mu);
    rstd[r] = static_cast<T>(rs);
  }
}

template <class T>
void layer_norm_backward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                         const T* mean, const T* rstd, const T* dy, T* dx, T* dweight, T* dbias) {
  std::vector<double> dw(d, 0.0), db(d, 0.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * d;
    const T* dyr = dy + r * d;
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t j = 0; j < d; ++j) {
      const double xhat = (xr[j] - double(mean[r])) * rstd[r];
      const double g = double(dyr[j]) * (weight ? weight[j] : 1);
      sum_g += g;
      sum_gx += g * xhat;
      dw[j] += dyr[j] * xhat;
      db[j] += dyr[j];
    }
    for (std::int64_t j = 0; j < d; ++j) {
      const double xhat = (xr[j] - double(mean[r])) * rstd[r];
      const double g = double(dyr[j]) * (weight ? weight[j] : 1);
      dx[r * d + j] = static_cast<T>(rstd[r] * (g - sum_g / double(d) - xhat * sum_gx / double(d)));
    }
  }
  for (std::int64_t j = 0; j < d; ++j) {
    if (dweight) dweight[j] = static_cast<T>(dw[j]);
    if (dbias) dbias[j] = static_cast<T>(db[j]);
  }
}

#define QKV_INSTANTIATE(T)                                                                         \
  template void layer_norm_forward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*, T, \
                                      T*, T*, T*);                                                 \
  template void layer_norm_backward<T>(std::int64_t, std::int64_t, const T*, const T*, const T*,   \
                                       const T*, const T*, T*, T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
