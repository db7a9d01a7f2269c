#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/softmax.h"

namespace qkv::kernels::ref {

namespace {

// max and log(sum(exp(x - max))) of one row, accumulated in double.
template <class T>
void row_stats(std::int64_t n, const T* x, double& max, double& log_sum) {
  max = -std::numeric_limits<double>::infinity();
  for (std::int64_t j = 0; j < n; ++j)
    if (!(x[j] <= max)) max = x[j];  // NaN wins, so it reaches the output
  double sum = 0;
  for (std::int64_t j = 0; j < n; ++j) sum += std::exp(double(x[j]) - max);
  log_sum = std::log(sum);
}

}  // namespace

template <class T>
void softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
  for (std::int64_t r = 0; r < rows; ++r, x += n, y += n) {
    double max, log_sum;
    row_stats(n, x, max, log_sum);
    for (std::int64_t j = 0; j < n; ++j)
      y[j] = static_cast<T>(std::exp(double(x[j]) - max - log_sum));
  }
}

template <class T>
void softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
  for (std::int64_t r = 0; r < rows; ++r, y += n, dy += n, dx += n) {
    double dot = 0;
    for (std::int64_t j = 0; j < n; ++j) dot += double(dy[j]) * y[j];
    for (std::int64_t j = 0; j < n; ++j) dx[j] = static_cast<T>(y[j] * (dy[j] - dot));
  }
}

template <class T>
void log_softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y) {
  for (std::int64_t r = 0; r < rows; ++r, x += n, y += n) {
    double max, log_sum;
    row_stats(n, x, max, log_sum);
    for (std::int64_t j = 0; j < n; ++j) y[j] = static_cast<T>(double(x[j]) - max - log_sum);
  }
}

template <class T>
void log_softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx) {
  for (std::int64_t r = 0; r < rows; ++r, y += n, dy += n, dx += n) {
    double sum = 0;
    for (std::int64_t j = 0; j < n; ++j) sum += dy[j];
    for (std::int64_t j = 0; j < n; ++j)
      dx[j] = static_cast<T>(dy[j] - std::exp(double(y[j])) * sum);
  }
}

#define QKV_INSTANTIATE(T)                                                               \
  template void softmax_forward<T>(std::int64_t, std::int64_t, const T*, T*);            \
  template void softmax_backward<T>(std::int64_t, std::int64_t, const T*, const T*, T*); \
  template void log_softmax_forward<T>(std::int64_t, std::int64_t, const T*, T*);        \
  template void log_softmax_backward<T>(std::int64_t, std::int64_t, const T*, const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels::ref
