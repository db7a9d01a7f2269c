#include "kernels/embedding.h"

namespace qkv::kernels::ref {

template <class T>
void embedding_forward(std::int64_t n, std::int64_t d, const std::int64_t* ids, const T* weight,
                       T* out) {
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < d; ++j) out[i * d + j] = weight[ids[i] * d + j];
}

template <class T>
void embedding_backward(std::int64_t n, std::int64_t d, std::int64_t vocab, const std::int64_t* ids,
                        const T* dy, std::int64_t skip_id, T* dweight) {
  for (std::int64_t k = 0; k < vocab * d; ++k) dweight[k] = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (ids[i] == skip_id) continue;
    for (std::int64_t j = 0; j < d; ++j) dweight[ids[i] * d + j] += dy[i * d + j];
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

}  // namespace qkv::kernels::ref
