#include <cmath>

#include "kernels/reduce.h"

namespace qkv::kernels::ref {

template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out) {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      double acc = 0;
      for (std::int64_t j = 0; j < n; ++j) acc += x[(o * n + j) * inner + i];
      out[o * inner + i] = static_cast<T>(acc);
    }
}

template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out,
             std::int64_t* index) {
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t i = 0; i < inner; ++i) {
      std::int64_t arg = 0;
      for (std::int64_t j = 1; j < n; ++j) {
        const T best = x[(o * n + arg) * inner + i], v = x[(o * n + j) * inner + i];
        if (std::isnan(best)) break;
        if (v > best || std::isnan(v)) arg = j;
      }
      out[o * inner + i] = x[(o * n + arg) * inner + i];
      if (index) index[o * inner + i] = arg;
    }
}

template void sum_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*);
template void sum_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*);
template void max_dim<float>(std::int64_t, std::int64_t, std::int64_t, const float*, float*,
                             std::int64_t*);
template void max_dim<double>(std::int64_t, std::int64_t, std::int64_t, const double*, double*,
                              std::int64_t*);

}  // namespace qkv::kernels::ref
