#pragma once
// The tile products of the tiled attention kernel (attention_flash.cpp), with
// a portable version and an AVX-512 one for float.
//
//   C[M, N] = A[M, K] B[K, N]          (overwrite)
//   C[M, N] = C * col_scale + A B      (accumulate; col_scale optional, one factor per column)
//
// A is read one element at a time at a + m * sm + k * sk, so any strides serve
// (a row-major tile, or its transpose). B and C are row-major with row strides
// ldb and ldc. Every product the kernel needs has this shape: the tiles keep
// queries along the vector lanes, and the other operand is broadcast.

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "kernels/simd_math.h"

namespace qkv::kernels::attention_tile {

template <class T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t kc, const T* a, std::int64_t sm,
          std::int64_t sk, const T* b, std::int64_t ldb, T* c, std::int64_t ldc, bool accumulate,
          const T* col_scale = nullptr) {
  for (std::int64_t i = 0; i < m; ++i) {
    T* cr = c + i * ldc;
    if (!accumulate) {
      for (std::int64_t j = 0; j < n; ++j) cr[j] = 0;
    } else if (col_scale) {
      for (std::int64_t j = 0; j < n; ++j) cr[j] *= col_scale[j];
    }
    for (std::int64_t p = 0; p < kc; ++p) {
      const T x = a[i * sm + p * sk];
      const T* br = b + p * ldb;
      for (std::int64_t j = 0; j < n; ++j) cr[j] += x * br[j];
    }
  }
}

#ifdef __AVX512F__

namespace avx512 {

// The widest column chunk (vectors of 16 floats) and the rows per register
// block for each chunk width: MR x NV accumulators stay in the 32 zmm registers
// beside the NV rows of B.
constexpr int kMaxVectors = 4;
constexpr int kRows[kMaxVectors + 1] = {0, 8, 8, 8, 6};

struct Args {
  std::int64_t kc;
  const float* a;
  std::int64_t sm, sk;
  const float* b;
  std::int64_t ldb;
  float* c;
  std::int64_t ldc;
  __mmask16 last;  // lanes of the last vector of the chunk
  bool accumulate;
  const float* col_scale;
};

// One MR x (NV * 16) block of C, its accumulators in registers across the K loop.
template <int MR, int NV>
void block(const Args& g) {
  __m512 acc[MR][NV];
  const auto lanes = [&](int v) -> __mmask16 { return v == NV - 1 ? g.last : 0xFFFF; };
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (!g.accumulate) {
        acc[i][v] = _mm512_setzero_ps();
      } else {
        acc[i][v] = _mm512_maskz_loadu_ps(lanes(v), g.c + i * g.ldc + 16 * v);
        if (g.col_scale)
          acc[i][v] =
              _mm512_mul_ps(acc[i][v], _mm512_maskz_loadu_ps(lanes(v), g.col_scale + 16 * v));
      }
    }
  const float* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = g.a + i * g.sm;
  const float* br = g.b;
  for (std::int64_t p = 0; p < g.kc; ++p, br += g.ldb) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_maskz_loadu_ps(lanes(v), br + 16 * v);
    const std::int64_t off = p * g.sk;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 x = _mm512_set1_ps(ar[i][off]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(x, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(g.c + i * g.ldc + 16 * v, lanes(v), acc[i][v]);
}

using BlockFn = void (*)(const Args&);

template <int NV, std::size_t... R>
constexpr auto row_table(std::index_sequence<R...>) {
  return std::array<BlockFn, sizeof...(R)>{&block<int(R) + 1, NV>...};
}

// Rows [0, m) of one column chunk of NV vectors: full register blocks, then the
// remainder rows in one smaller block.
template <int NV>
void chunk(std::int64_t m, Args g) {
  constexpr int kMr = kRows[NV];
  static constexpr auto kTable = row_table<NV>(std::make_index_sequence<kMr>());
  std::int64_t i = 0;
  for (; i + kMr <= m; i += kMr) {
    block<kMr, NV>(g);
    g.a += kMr * g.sm;
    g.c += kMr * g.ldc;
  }
  if (i < m) kTable[m - i - 1](g);
}

}  // namespace avx512

template <>
inline void gemm<float>(std::int64_t m, std::int64_t n, std::int64_t kc, const float* a,
                        std::int64_t sm, std::int64_t sk, const float* b, std::int64_t ldb,
                        float* c, std::int64_t ldc, bool accumulate, const float* col_scale) {
  using namespace avx512;
  for (std::int64_t j = 0; j < n; j += 16 * kMaxVectors) {
    const std::int64_t width = std::min<std::int64_t>(n - j, 16 * kMaxVectors);
    const int nv = static_cast<int>((width + 15) / 16);
    const __mmask16 last = width % 16 ? simd::tail_mask(width % 16) : __mmask16(0xFFFF);
    const Args g{kc,
                 a,
                 sm,
                 sk,
                 b + j,
                 ldb,
                 c + j,
                 ldc,
                 last,
                 accumulate,
                 col_scale ? col_scale + j : nullptr};
    switch (nv) {
      case 1:
        chunk<1>(m, g);
        break;
      case 2:
        chunk<2>(m, g);
        break;
      case 3:
        chunk<3>(m, g);
        break;
      default:
        chunk<4>(m, g);
        break;
    }
  }
}

#endif

}  // namespace qkv::kernels::attention_tile
