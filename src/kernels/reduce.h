#pragma once
// Reductions along the middle dim of a dense [outer, n, inner] array:
// out[o, i] = reduce_j x[o, j, i]. Any single-dim reduction has this form.

#include <cstdint>

namespace qkv::kernels {

template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out);
// Largest value and the index of its first occurrence; NaN counts as largest.
template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out,
             std::int64_t* index);

namespace ref {
template <class T>
void sum_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out);
template <class T>
void max_dim(std::int64_t outer, std::int64_t n, std::int64_t inner, const T* x, T* out,
             std::int64_t* index);
}  // namespace ref

}  // namespace qkv::kernels

namespace qkv::kernels {
// dx = 0 except dx[o, index[o, i], i] = dy[o, i]: the backward of max_dim.
template <class T>
void max_dim_backward(std::int64_t outer, std::int64_t n, std::int64_t inner,
                      const std::int64_t* index, const T* dy, T* dx);
}  // namespace qkv::kernels
