#include "kernels/embedding.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "kernels/parallel_rows.h"

namespace qkv::kernels {

namespace {
constexpr std::int64_t kParallelElements = 32768;
}  // namespace

template <class T>
void embedding_forward(std::int64_t n, std::int64_t d, const std::int64_t* ids, const T* weight,
                       T* out) {
  parallel_rows(n, d, [&](std::int64_t i) {
    std::memcpy(out + i * d, weight + ids[i] * d, sizeof(T) * static_cast<std::size_t>(d));
  });
}

template <class T>
void embedding_backward(std::int64_t n, std::int64_t d, std::int64_t vocab, const std::int64_t* ids,
                        const T* dy, std::int64_t skip_id, T* dweight) {
#pragma omp parallel if (vocab * d + n * d > kParallelElements)
  {
    const int team = omp_get_num_threads(), tid = omp_get_thread_num();
    const std::int64_t lo = vocab * tid / team, hi = vocab * (tid + 1) / team;
    std::fill(dweight + lo * d, dweight + hi * d, T(0));
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t id = ids[i];
      if (id < lo || id >= hi || id == skip_id) continue;
      T* dst = dweight + id * d;
      const T* src = dy + i * d;
#pragma omp simd
      for (std::int64_t j = 0; j < d; ++j) dst[j] += src[j];
    }
  }
}

#define QKV_INSTANTIATE(T)                                                                      \
  template void embedding_forward<T>(std::int64_t, std::int64_t, const std::int64_t*, const T*, \
                                     T*);                                                       \
  template void embedding_backward<T>(std::int64_t, std::int64_t, std::int64_t,                 \
                                      const std::int64_t*, const T*, std::int64_t, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels
