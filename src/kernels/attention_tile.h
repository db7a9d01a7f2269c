#pragma once
// The tile products of the tiled attention kernel (attention_flash.cpp), with
// a portable version and a vector one for float (simd_vec.h: AVX-512 or AVX2).
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

#include "kernels/simd_vec.h"

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

#ifdef QKV_SIMD_VEC

namespace vec {

using simd::kFull;
using simd::kLanes;
using simd::Mask;
using simd::Vec;

// The widest column chunk (in vectors of kLanes floats) and the rows per
// register block for each chunk width: MR x NV accumulators stay in registers
// beside the NV rows of B.
#if defined(__AVX512F__)
// 32 zmm registers.
constexpr int kMaxVectors = 4;
constexpr int kRows[kMaxVectors + 1] = {0, 8, 8, 8, 6};
#else
// 16 ymm registers: 6 x 2 accumulators, 2 rows of B and the broadcast value.
constexpr int kMaxVectors = 2;
constexpr int kRows[kMaxVectors + 1] = {0, 8, 6};
#endif

// `Last` is the type of the lanes of the chunk's last vector: Mask, or on AVX2
// the type of kFull where the chunk ends on a whole vector (simd::with_last_lanes).
template <class Last>
struct Args {
  std::int64_t kc;
  const float* a;
  std::int64_t sm, sk;
  const float* b;
  std::int64_t ldb;
  float* c;
  std::int64_t ldc;
  Last last;  // lanes of the last vector of the chunk
  bool accumulate;
  const float* col_scale;
};

// One MR x (NV * kLanes) block of C, its accumulators in registers across the K loop.
template <int MR, int NV, class Last>
void block(const Args<Last>& g) {
  using namespace simd;
  Vec acc[MR][NV];
  const auto load_lanes = [&](int v, const float* p) {
    return v == NV - 1 ? load(p, g.last) : load(p, kFull);
  };
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (!g.accumulate) {
        acc[i][v] = zero();
      } else {
        acc[i][v] = load_lanes(v, g.c + i * g.ldc + kLanes * v);
        if (g.col_scale) acc[i][v] = mul(acc[i][v], load_lanes(v, g.col_scale + kLanes * v));
      }
    }
  const float* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = g.a + i * g.sm;
  const float* br = g.b;
  for (std::int64_t p = 0; p < g.kc; ++p, br += g.ldb) {
    Vec bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = load_lanes(v, br + kLanes * v);
    const std::int64_t off = p * g.sk;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const Vec x = set1(ar[i][off]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = fmadd(x, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* cp = g.c + i * g.ldc + kLanes * v;
      if (v == NV - 1)
        store(cp, g.last, acc[i][v]);
      else
        store(cp, kFull, acc[i][v]);
    }
}

template <class Last>
using BlockFn = void (*)(const Args<Last>&);

template <int NV, class Last, std::size_t... R>
constexpr auto row_table(std::index_sequence<R...>) {
  return std::array<BlockFn<Last>, sizeof...(R)>{&block<int(R) + 1, NV, Last>...};
}

// Rows [0, m) of one column chunk of NV vectors: full register blocks, then the
// remainder rows in one smaller block.
template <int NV, class Last>
void chunk(std::int64_t m, Args<Last> g) {
  constexpr int kMr = kRows[NV];
  static constexpr auto kTable = row_table<NV, Last>(std::make_index_sequence<kMr>());
  std::int64_t i = 0;
  for (; i + kMr <= m; i += kMr) {
    block<kMr, NV>(g);
    g.a += kMr * g.sm;
    g.c += kMr * g.ldc;
  }
  if (i < m) kTable[m - i - 1](g);
}

// A chunk of nv (1 <= nv <= kMaxVectors) vectors.
template <int NV = 1, class Last>
void chunk_of(int nv, std::int64_t m, const Args<Last>& g) {
  if constexpr (NV < kMaxVectors) {
    if (nv != NV) return chunk_of<NV + 1>(nv, m, g);
  }
  chunk<NV>(m, g);
}

}  // namespace vec

template <>
inline void gemm<float>(std::int64_t m, std::int64_t n, std::int64_t kc, const float* a,
                        std::int64_t sm, std::int64_t sk, const float* b, std::int64_t ldb,
                        float* c, std::int64_t ldc, bool accumulate, const float* col_scale) {
  using namespace vec;
  for (std::int64_t j = 0; j < n; j += kLanes * kMaxVectors) {
    const std::int64_t width = std::min<std::int64_t>(n - j, kLanes * kMaxVectors);
    const int nv = static_cast<int>((width + kLanes - 1) / kLanes);
    simd::with_last_lanes(width, [&](auto last) {
      const Args<decltype(last)> g{kc,
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
      chunk_of(nv, m, g);
    });
  }
}

#endif

}  // namespace qkv::kernels::attention_tile
