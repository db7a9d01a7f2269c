// Tiled attention in the manner of FlashAttention-2 (T. Dao, "FlashAttention-2:
// Faster Attention with Better Parallelism and Work Partitioning", 2023).
//
// Layout of every tile: queries run along the lanes. A block of kBr queries is
// packed once as q^T [dh, kBr]; each key tile of kBc keys gives the scores
// s^T [kBc, kBr] = k_tile q^T, so the softmax statistics of a query (running
// max m, running sum l) sit in one lane and need no horizontal reductions, and
// the partial output o^T [dv, kBr] is rescaled lane by lane. All products then
// broadcast one operand and stream the other (attention_tile.h).

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "core/storage.h"
#include "kernels/attention.h"
#include "kernels/attention_tile.h"
#include "kernels/simd_math.h"

namespace qkv::kernels {

namespace {

// Queries per block (the lanes of every tile), keys per tile in the forward and
// keys per block in the backward. Measured at B = 1, h = 8, dh = 64, T = 4096 on
// 2 threads: 128 queries beat 64 by 5-10% (each key tile, read from L3 once
// the keys of a head outgrow L2, serves twice the queries); 64 or 128 keys
// per forward tile run alike; 128 keys per backward block beat 64 by 2-3%.
constexpr std::int64_t kBr = 128;
constexpr std::int64_t kBc = 64;
constexpr std::int64_t kBcBackward = 128;

// Below this many multiply-adds a call runs on one thread.
constexpr double kParallelWork = 1 << 16;

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();

template <class T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>)
    return simd::exp(x);
  else
    return std::exp(x);
}

// Scratch arrays carved from one 64-byte aligned allocation per thread.
template <class T>
class Scratch {
 public:
  // Room for `elements` and the rounding of up to 16 arrays.
  explicit Scratch(std::int64_t elements) : storage_(sizeof(T) * (elements + 16 * 16)) {}
  T* take(std::int64_t n) {
    T* p = static_cast<T*>(storage_.data()) + used_;
    used_ += (n + 15) / 16 * 16;
    return p;
  }

 private:
  Storage storage_;
  std::int64_t used_ = 0;
};

// The call's sizes and options, shared by every tile.
template <class T>
struct Problem {
  const AttentionDims& d;
  T scale;
  const AttentionMask<T>& mask;
  const AttentionDropout& dropout;
  std::int64_t group() const { return d.heads / d.kv_heads; }
  std::int64_t causal_offset() const { return d.k_len - d.q_len; }
  // Keys [0, key_limit(b)) are not padding.
  std::int64_t key_limit(std::int64_t b) const {
    return mask.key_lengths ? std::min(mask.key_lengths[b], d.k_len) : d.k_len;
  }
  // Keys a block of queries ending at query `last` can see lie in [0, key_end).
  std::int64_t key_end(std::int64_t b, std::int64_t last) const {
    std::int64_t end = key_limit(b);
    if (mask.causal) end = std::min(end, last + causal_offset() + 1);
    return std::max<std::int64_t>(end, 0);
  }
};

double multiply_adds(const AttentionDims& d) {
  return double(d.batch) * d.heads * d.q_len * d.k_len * (d.head_dim + d.value_dim);
}

// dst [width, kBr] = factor * src [n, width]^T, lanes n.. kBr zero.
template <class T>
void pack_transposed(std::int64_t n, std::int64_t width, const T* src, T factor, T* dst) {
  for (std::int64_t c = 0; c < width; ++c) {
    T* row = dst + c * kBr;
    for (std::int64_t i = 0; i < n; ++i) row[i] = factor * src[i * width + c];
    for (std::int64_t i = n; i < kBr; ++i) row[i] = 0;
  }
}

// Sets the scores of the tile (queries i0 + [0, nq), keys j0 + [0, nk)) that the
// causal, boolean and additive masks hide to -inf, and adds the additive mask.
// Padding keys never reach a tile: callers stop at key_limit.
template <class T>
void mask_tile(const Problem<T>& p, std::int64_t b, std::int64_t head, std::int64_t i0,
               std::int64_t nq, std::int64_t j0, std::int64_t nk, T* st) {
  const AttentionMask<T>& mask = p.mask;
  if (mask.causal && j0 + nk - 1 > i0 + p.causal_offset()) {
    // Key j0 + j is hidden from the lanes i < j0 + j - i0 - offset.
    for (std::int64_t j = 0; j < nk; ++j) {
      const std::int64_t hidden = std::min(kBr, j0 + j - i0 - p.causal_offset());
      for (std::int64_t i = 0; i < hidden; ++i) st[j * kBr + i] = -kInf<T>;
    }
  }
  if (mask.additive) {
    const MaskStrides& s = mask.additive_strides;
    const T* base = mask.additive + b * s.batch + head * s.head + i0 * s.query + j0 * s.key;
    for (std::int64_t j = 0; j < nk; ++j)
      for (std::int64_t i = 0; i < nq; ++i) st[j * kBr + i] += base[i * s.query + j * s.key];
  }
  if (mask.allowed) {
    const MaskStrides& s = mask.allowed_strides;
    const std::uint8_t* base =
        mask.allowed + b * s.batch + head * s.head + i0 * s.query + j0 * s.key;
    for (std::int64_t j = 0; j < nk; ++j)
      for (std::int64_t i = 0; i < nq; ++i)
        if (!base[i * s.query + j * s.key]) st[j * kBr + i] = -kInf<T>;
  }
}

// ---- Dropout ----

// A tile's dropout mask as bits: bit j % 64 of bits[j / 64 * kBr + i] is set
// when weight (i0 + i, j0 + j) survives; lanes past Tq keep nothing.
constexpr std::int64_t kBitWords = (std::max(kBc, kBcBackward) + 63) / 64;
using DropoutBits = std::array<std::uint64_t, kBitWords * kBr>;

#if defined(QKV_SIMD_VEC) && defined(__BMI2__)
// The survival bits one vector Philox call gives: four words per counter.
constexpr std::int64_t kWordsPerCall = 4 * simd::kLanes;

// Philox4x32-10 (core/philox.h) at the kLanes counters [counter, counter +
// kLanes) at once; returns the survival bits of their 4 kLanes words, bit 4 t + r
// for word r of counter + t.
inline std::uint64_t survivors_at(const AttentionDropout& dr, std::uint32_t threshold,
                                  std::uint64_t counter) {
  using namespace simd;
  const VecU32 first = set1_u32(static_cast<std::uint32_t>(counter));
  const VecU32 lo = add_u32(first, lane_index());
  const VecU32 hi = set1_u32(static_cast<std::uint32_t>(counter >> 32));
  VecU32 c0 = lo, c2 = set1_u32(0), c3 = set1_u32(0);
  // The carry into the high word where the low word wraps.
  VecU32 c1 = mask_add_u32(hi, less_than_u32(lo, first), hi, set1_u32(1));
  std::uint32_t k0 = static_cast<std::uint32_t>(dr.seed),
                k1 = static_cast<std::uint32_t>(dr.seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const VecU32 lo0 = mullo_u32(c0, 0xD2511F53u), hi0 = mulhi_u32(c0, 0xD2511F53u);
    const VecU32 lo1 = mullo_u32(c2, 0xCD9E8D57u), hi1 = mulhi_u32(c2, 0xCD9E8D57u);
    c0 = xor_u32(xor_u32(hi1, c1), set1_u32(k0));
    c1 = lo1;
    c2 = xor_u32(xor_u32(hi0, c3), set1_u32(k1));
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const VecU32 t = set1_u32(threshold);
  const auto keep = [&](VecU32 w) -> std::uint64_t {
    return mask_bits(greater_equal_u32(shift_right_u32<8>(w), t));
  };
  // Bit r of every nibble, one nibble per counter.
  constexpr std::uint64_t kSpread = 0x1111111111111111ull >> (64 - kWordsPerCall);
  return _pdep_u64(keep(c0), kSpread) | _pdep_u64(keep(c1), kSpread << 1) |
         _pdep_u64(keep(c2), kSpread << 2) | _pdep_u64(keep(c3), kSpread << 3);
}

// Survival bits of the `count` <= 64 weights from linear index n on.
std::uint64_t survivors(const AttentionDropout& dr, std::uint32_t threshold, std::uint64_t n,
                        std::int64_t count) {
  const auto shift = static_cast<std::int64_t>(n % 4);
  std::uint64_t counter = dr.offset + n / 4;
  std::uint64_t bits = survivors_at(dr, threshold, counter) >> shift;
  for (std::int64_t have = kWordsPerCall - shift; have < count; have += kWordsPerCall)
    bits |= survivors_at(dr, threshold, counter += simd::kLanes) << have;
  return count < 64 ? bits & ((std::uint64_t(1) << count) - 1) : bits;
}
#else
// Survival bits of the `count` <= 64 weights from linear index n on.
std::uint64_t survivors(const AttentionDropout& dr, std::uint32_t threshold, std::uint64_t n,
                        std::int64_t count) {
  std::uint64_t bits = 0;
  for (std::int64_t j = 0; j < count;) {
    // Neighbouring weights share a counter, four words each.
    const auto words = philox4x32(dr.offset + n / 4, dr.seed);
    for (std::uint64_t w = n % 4; w < 4 && j < count; ++w, ++j, ++n)
      if ((words[w] >> 8) >= threshold) bits |= std::uint64_t(1) << j;
  }
  return bits;
}
#endif

template <class T>
void dropout_bits(const Problem<T>& p, std::int64_t b, std::int64_t head, std::int64_t i0,
                  std::int64_t nq, std::int64_t j0, std::int64_t nk, DropoutBits& bits) {
  const std::uint32_t threshold = dropout_threshold(p.dropout.p);
  for (std::int64_t w = 0; w * 64 < nk; ++w) {
    std::uint64_t* row = bits.data() + w * kBr;
    for (std::int64_t i = 0; i < kBr; ++i) {
      const auto n = static_cast<std::uint64_t>(
          ((b * p.d.heads + head) * p.d.q_len + i0 + i) * p.d.k_len + j0 + 64 * w);
      row[i] =
          i < nq ? survivors(p.dropout, threshold, n, std::min<std::int64_t>(64, nk - 64 * w)) : 0;
    }
  }
}

// dst = src * (1 / (1 - p)) where the weight survives, 0 where it is dropped, over nk rows.
template <class T>
void apply_dropout(std::int64_t nk, const DropoutBits& bits, T keep, const T* src, T* dst) {
  for (std::int64_t j = 0; j < nk; ++j) {
    const std::uint64_t* row = bits.data() + j / 64 * kBr;
    for (std::int64_t i = 0; i < kBr; ++i)
      dst[j * kBr + i] = row[i] >> (j % 64) & 1 ? src[j * kBr + i] * keep : T(0);
  }
}

// ---- Lane operations on [rows, kBr] tiles: portable versions ----

// The online-softmax step for one tile of scores: per lane, the new running
// max m, alpha = exp(m_old - m_new) (how much the partial sums shrink), l =
// alpha * l + sum_j p_j, and the tile turned into p = exp(s - m_new). A lane
// that has seen only masked keys keeps m = -inf and l = 0.
template <class T>
void online_softmax(std::int64_t nk, T* st, T* m, T* l, T* alpha) {
  for (std::int64_t i = 0; i < kBr; ++i) {
    T mt = m[i];
    for (std::int64_t j = 0; j < nk; ++j) mt = std::max(mt, st[j * kBr + i]);
    const T shift = mt == -kInf<T> ? T(0) : mt;
    alpha[i] = exp_of(m[i] - shift);
    T sum = 0;
    for (std::int64_t j = 0; j < nk; ++j) sum += st[j * kBr + i] = exp_of(st[j * kBr + i] - shift);
    l[i] = alpha[i] * l[i] + sum;
    m[i] = mt;
  }
}

// st = exp(st - lse) per lane.
template <class T>
void probabilities(std::int64_t nk, T* st, const T* lse) {
  for (std::int64_t j = 0; j < nk; ++j)
    for (std::int64_t i = 0; i < kBr; ++i) st[j * kBr + i] = exp_of(st[j * kBr + i] - lse[i]);
}

// dpt = scale * pt * (dpt - delta) per lane: the scores' gradient.
template <class T>
void softmax_grad(std::int64_t nk, const T* pt, T* dpt, const T* delta, T scale) {
  for (std::int64_t j = 0; j < nk; ++j)
    for (std::int64_t i = 0; i < kBr; ++i)
      dpt[j * kBr + i] = scale * pt[j * kBr + i] * (dpt[j * kBr + i] - delta[i]);
}

#ifdef QKV_SIMD_VEC
constexpr int kLaneVectors = kBr / simd::kLanes;

// exp(x) for the softmax's x = s - max <= 0 (-inf included), cheaper than
// simd::exp: 2^(x log2 e) as 2^n times a degree-5 polynomial for 2^f on
// [-1/2, 1/2] (least-squares fit in relative error, max 2.3e-7). x log2 e is
// rounded once, which costs a relative error of |x| * 6e-8 in the result: at
// most 5e-8 absolute for the weights, whose e^x shrinks faster than |x| grows.
// Inputs below -110 (e^-110 is below the smallest float) give exactly 0.
inline simd::Vec exp_nonpositive(simd::Vec x) {
  using namespace simd;
  const Vec t = mul(max(x, set1(-110.0f)), set1(1.44269504f));
  const Vec n = round(t);
  const Vec f = sub(t, n);
  Vec p = set1(1.326697064e-3f);
  p = fmadd(p, f, set1(9.675459936e-3f));
  p = fmadd(p, f, set1(5.550742522e-2f));
  p = fmadd(p, f, set1(2.402212173e-1f));
  p = fmadd(p, f, set1(6.931469440e-1f));
  p = fmadd(p, f, set1(1.000000119e+0f));
  return mul_pow2(p, n);
}

template <>
void online_softmax<float>(std::int64_t nk, float* st, float* m, float* l, float* alpha) {
  using namespace simd;
  for (int v = 0; v < kLaneVectors; ++v) {
    float* col = st + kLanes * v;
    const Vec m_old = load(m + kLanes * v, kFull);
    Vec mt = m_old;
    for (std::int64_t j = 0; j < nk; ++j) mt = max(mt, load(col + j * kBr, kFull));
    const Vec shift = maskz_mov(not_equal(mt, set1(-kInf<float>)), mt);
    const Vec a = exp_nonpositive(sub(m_old, shift));
    Vec sum = zero();
    for (std::int64_t j = 0; j < nk; ++j) {
      const Vec e = exp_nonpositive(sub(load(col + j * kBr, kFull), shift));
      store(col + j * kBr, kFull, e);
      sum = add(sum, e);
    }
    store(alpha + kLanes * v, kFull, a);
    store(l + kLanes * v, kFull, fmadd(a, load(l + kLanes * v, kFull), sum));
    store(m + kLanes * v, kFull, mt);
  }
}

template <>
void probabilities<float>(std::int64_t nk, float* st, const float* lse) {
  using namespace simd;
  for (int v = 0; v < kLaneVectors; ++v) {
    const Vec shift = load(lse + kLanes * v, kFull);
    for (std::int64_t j = 0; j < nk; ++j) {
      float* p = st + j * kBr + kLanes * v;
      store(p, kFull, exp_nonpositive(sub(load(p, kFull), shift)));
    }
  }
}

template <>
void softmax_grad<float>(std::int64_t nk, const float* pt, float* dpt, const float* delta,
                         float scale) {
  using namespace simd;
  const Vec s = set1(scale);
  for (int v = 0; v < kLaneVectors; ++v) {
    const Vec dl = load(delta + kLanes * v, kFull);
    for (std::int64_t j = 0; j < nk; ++j) {
      const std::int64_t at = j * kBr + kLanes * v;
      const Vec g = sub(load(dpt + at, kFull), dl);
      store(dpt + at, kFull, mul(mul(s, load(pt + at, kFull)), g));
    }
  }
}

template <>
void apply_dropout<float>(std::int64_t nk, const DropoutBits& bits, float keep, const float* src,
                          float* dst) {
  using namespace simd;
  const Vec scale = set1(keep);
  for (int v = 0; v < kLaneVectors; ++v) {
    for (std::int64_t w = 0; w * 64 < nk; ++w) {
      const LaneWords row = load_lane_words(bits.data() + w * kBr + kLanes * v);
      for (std::int64_t j = 64 * w; j < std::min(nk, 64 * w + 64); ++j) {
        const Mask k = test_bit(row, static_cast<unsigned>(j) % 64);
        const std::int64_t at = j * kBr + kLanes * v;
        store(dst + at, kFull, maskz_mul(k, load(src + at, kFull), scale));
      }
    }
  }
}
#endif

// ---- Forward ----

template <class T>
struct ForwardTiles {
  T *qt, *st, *ot, *m, *l, *alpha;
  DropoutBits bits;
  T keep;  // 1 / (1 - p)
  static std::int64_t elements(const AttentionDims& d) {
    return (d.head_dim + d.value_dim + kBc + 3) * kBr;
  }
  ForwardTiles(const Problem<T>& p, Scratch<T>& s)
      : qt(s.take(p.d.head_dim * kBr)),
        st(s.take(kBc * kBr)),
        ot(s.take(p.d.value_dim * kBr)),
        m(s.take(kBr)),
        l(s.take(kBr)),
        alpha(s.take(kBr)),
        keep(static_cast<T>(1 / (1 - p.dropout.p))) {}
};

// o and lse of queries [i0, i0 + kBr) of one (batch, head).
template <class T>
void forward_block(const Problem<T>& p, const T* q, const T* k, const T* v, T* o, T* lse,
                   std::int64_t b, std::int64_t head, std::int64_t i0, ForwardTiles<T>& t) {
  const AttentionDims& d = p.d;
  const std::int64_t dh = d.head_dim, dv = d.value_dim;
  const std::int64_t nq = std::min(kBr, d.q_len - i0);
  const std::int64_t bh = b * d.heads + head;
  const std::int64_t bg = b * d.kv_heads + head / p.group();
  const T* kh = k + bg * d.k_len * dh;
  const T* vh = v + bg * d.k_len * dv;

  pack_transposed(nq, dh, q + (bh * d.q_len + i0) * dh, p.scale, t.qt);
  std::fill(t.m, t.m + kBr, -kInf<T>);
  std::fill(t.l, t.l + kBr, T(0));
  std::fill(t.ot, t.ot + dv * kBr, T(0));
  const std::int64_t end = p.key_end(b, i0 + nq - 1);
  for (std::int64_t j0 = 0; j0 < end; j0 += kBc) {
    const std::int64_t nk = std::min(kBc, end - j0);
    attention_tile::gemm<T>(nk, kBr, dh, kh + j0 * dh, dh, 1, t.qt, kBr, t.st, kBr, false);
    mask_tile(p, b, head, i0, nq, j0, nk, t.st);
    online_softmax(nk, t.st, t.m, t.l, t.alpha);
    if (p.dropout.p > 0) {
      dropout_bits(p, b, head, i0, nq, j0, nk, t.bits);
      apply_dropout(nk, t.bits, t.keep, t.st, t.st);
    }
    // o^T [dv, kBr] = alpha * o^T + v_tile^T p^T.
    attention_tile::gemm<T>(dv, kBr, nk, vh + j0 * dv, 1, dv, t.st, kBr, t.ot, kBr, true, t.alpha);
  }
  for (std::int64_t i = 0; i < nq; ++i) {
    T* oi = o + (bh * d.q_len + i0 + i) * dv;
    if (t.l[i] > 0) {
      const T inv = T(1) / t.l[i];
      for (std::int64_t e = 0; e < dv; ++e) oi[e] = t.ot[e * kBr + i] * inv;
      lse[bh * d.q_len + i0 + i] = t.m[i] + std::log(t.l[i]);
    } else {
      std::fill(oi, oi + dv, T(0));
      lse[bh * d.q_len + i0 + i] = -kInf<T>;
    }
  }
}

// ---- Backward ----

// lse of the lanes of one query block, as the backward and the weights use it:
// +inf where the row saw no key (lse = -inf) or lies past Tq, so p = exp(s -
// lse) comes out 0 there.
template <class T>
void lane_lse(std::int64_t nq, const T* lse, T* lanes) {
  for (std::int64_t i = 0; i < kBr; ++i) lanes[i] = i < nq && lse[i] != -kInf<T> ? lse[i] : kInf<T>;
}

// The query side of the backward, packed once per call because every key block
// reads it: for each (batch, head, query block) q^T * scale [dh, kBr], dout^T
// [dv, kBr], and per lane the lse and delta = dout . o.
template <class T>
class PackedQueries {
 public:
  PackedQueries(const Problem<T>& p, const T* q, const T* o, const T* dout, const T* lse)
      : dh_(p.d.head_dim),
        dv_(p.d.value_dim),
        blocks_((p.d.q_len + kBr - 1) / kBr),
        stride_((dh_ + dv_ + 2) * kBr),
        storage_(sizeof(T) * p.d.batch * p.d.heads * blocks_ * stride_) {
    const std::int64_t tq = p.d.q_len, units = p.d.batch * p.d.heads * blocks_;
#pragma omp parallel for schedule(static) if (units > 1 && multiply_adds(p.d) > kParallelWork)
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t bh = u / blocks_, i0 = u % blocks_ * kBr;
      const std::int64_t nq = std::min(kBr, tq - i0);
      const std::int64_t row = bh * tq + i0;
      pack_transposed(nq, dh_, q + row * dh_, p.scale, qt(u));
      pack_transposed(nq, dv_, dout + row * dv_, T(1), dot(u));
      lane_lse(nq, lse + row, lanes_lse(u));
      T* delta = lanes_delta(u);
      for (std::int64_t i = 0; i < kBr; ++i) {
        T sum = 0;
        for (std::int64_t e = 0; i < nq && e < dv_; ++e)
          sum += dout[(row + i) * dv_ + e] * o[(row + i) * dv_ + e];
        delta[i] = sum;
      }
    }
  }
  // Block `u` = (batch * heads + head) * blocks + query block.
  T* qt(std::int64_t u) const { return base(u); }
  T* dot(std::int64_t u) const { return base(u) + dh_ * kBr; }
  T* lanes_lse(std::int64_t u) const { return base(u) + (dh_ + dv_) * kBr; }
  T* lanes_delta(std::int64_t u) const { return base(u) + (dh_ + dv_ + 1) * kBr; }
  std::int64_t blocks() const { return blocks_; }

 private:
  T* base(std::int64_t u) const { return static_cast<T*>(storage_.data()) + u * stride_; }
  std::int64_t dh_, dv_, blocks_, stride_;
  Storage storage_;
};

template <class T>
struct BackwardTiles {
  T *st, *dpt, *pd, *dk, *dv;
  DropoutBits bits;
  T keep;  // 1 / (1 - p)
  static std::int64_t elements(const AttentionDims& d) {
    return 3 * kBcBackward * kBr + kBcBackward * (d.head_dim + d.value_dim);
  }
  BackwardTiles(const Problem<T>& p, Scratch<T>& s)
      : st(s.take(kBcBackward * kBr)),
        dpt(s.take(kBcBackward * kBr)),
        pd(s.take(kBcBackward * kBr)),
        dk(s.take(kBcBackward * p.d.head_dim)),
        dv(s.take(kBcBackward * p.d.value_dim)),
        keep(static_cast<T>(1 / (1 - p.dropout.p))) {}
};

// The gradients of keys [j0, j0 + kBcBackward) of one (batch, kv head) from every query
// head of its group: dk and dv rows written, dq rows (of `dq_out`) accumulated.
template <class T>
void backward_key_block(const Problem<T>& p, const PackedQueries<T>& packed, const T* q, const T* k,
                        const T* v, const T* dout, T* dq_out, T* dk, T* dv, std::int64_t b,
                        std::int64_t kv_head, std::int64_t j0, BackwardTiles<T>& t) {
  const AttentionDims& d = p.d;
  const std::int64_t dh = d.head_dim, dvw = d.value_dim, tq = d.q_len;
  const std::int64_t bg = b * d.kv_heads + kv_head;
  const std::int64_t rows = std::min(kBcBackward, d.k_len - j0);
  // Padding keys get zero gradients and take no part.
  const std::int64_t nk = std::clamp<std::int64_t>(p.key_limit(b) - j0, 0, rows);
  const T* kt = k + (bg * d.k_len + j0) * dh;
  const T* vt = v + (bg * d.k_len + j0) * dvw;
  std::fill(t.dk, t.dk + rows * dh, T(0));
  std::fill(t.dv, t.dv + rows * dvw, T(0));
  // Under the causal mask, queries before this are blind to every key of the block.
  const std::int64_t first_query =
      p.mask.causal ? std::clamp<std::int64_t>(j0 - p.causal_offset(), 0, tq) : 0;
  for (std::int64_t head = kv_head * p.group(); nk > 0 && head < (kv_head + 1) * p.group();
       ++head) {
    const std::int64_t bh = b * d.heads + head;
    for (std::int64_t block = first_query / kBr; block < packed.blocks(); ++block) {
      const std::int64_t i0 = block * kBr, nq = std::min(kBr, tq - i0);
      const std::int64_t u = bh * packed.blocks() + block;
      const T* qi = q + (bh * tq + i0) * dh;
      const T* doi = dout + (bh * tq + i0) * dvw;
      // p^T = exp(k_tile q^T - lse), dp^T = v_tile dout^T.
      attention_tile::gemm<T>(nk, kBr, dh, kt, dh, 1, packed.qt(u), kBr, t.st, kBr, false);
      mask_tile(p, b, head, i0, nq, j0, nk, t.st);
      probabilities(nk, t.st, packed.lanes_lse(u));
      attention_tile::gemm<T>(nk, kBr, dvw, vt, dvw, 1, packed.dot(u), kBr, t.dpt, kBr, false);
      const T* pd = t.st;
      if (p.dropout.p > 0) {
        dropout_bits(p, b, head, i0, nq, j0, nk, t.bits);
        apply_dropout(nk, t.bits, t.keep, t.st, t.pd);
        apply_dropout(nk, t.bits, t.keep, t.dpt, t.dpt);
        pd = t.pd;
      }
      // dv += dropped(p) dout; ds = scale * p * (dp - delta); dk += ds q; dq += ds^T k.
      attention_tile::gemm<T>(nk, dvw, nq, pd, kBr, 1, doi, dvw, t.dv, dvw, true);
      softmax_grad(nk, t.st, t.dpt, packed.lanes_delta(u), p.scale);
      attention_tile::gemm<T>(nk, dh, nq, t.dpt, kBr, 1, qi, dh, t.dk, dh, true);
      attention_tile::gemm<T>(nq, dh, nk, t.dpt, 1, kBr, kt, dh, dq_out + (bh * tq + i0) * dh, dh,
                              true);
    }
  }
  std::copy(t.dk, t.dk + rows * dh, dk + (bg * d.k_len + j0) * dh);
  std::copy(t.dv, t.dv + rows * dvw, dv + (bg * d.k_len + j0) * dvw);
}

// ---- Weights ----

template <class T>
void weights_block(const Problem<T>& p, const T* q, const T* k, const T* lse, T* w, std::int64_t b,
                   std::int64_t head, std::int64_t i0, T* qt, T* st, T* lanes) {
  const AttentionDims& d = p.d;
  const std::int64_t dh = d.head_dim, tk = d.k_len;
  const std::int64_t nq = std::min(kBr, d.q_len - i0);
  const std::int64_t bh = b * d.heads + head;
  const T* kh = k + (b * d.kv_heads + head / p.group()) * tk * dh;
  pack_transposed(nq, dh, q + (bh * d.q_len + i0) * dh, p.scale, qt);
  lane_lse(nq, lse + bh * d.q_len + i0, lanes);
  T* wi = w + (bh * d.q_len + i0) * tk;
  std::fill(wi, wi + nq * tk, T(0));
  const std::int64_t end = p.key_end(b, i0 + nq - 1);
  for (std::int64_t j0 = 0; j0 < end; j0 += kBc) {
    const std::int64_t nk = std::min(kBc, end - j0);
    attention_tile::gemm<T>(nk, kBr, dh, kh + j0 * dh, dh, 1, qt, kBr, st, kBr, false);
    mask_tile(p, b, head, i0, nq, j0, nk, st);
    probabilities(nk, st, lanes);
    for (std::int64_t i = 0; i < nq; ++i)
      for (std::int64_t j = 0; j < nk; ++j) wi[i * tk + j0 + j] = st[j * kBr + i];
  }
}

}  // namespace

template <class T>
void attention_forward(const AttentionDims& d, T scale, const AttentionMask<T>& mask,
                       const AttentionDropout& dropout, const T* q, const T* k, const T* v, T* o,
                       T* lse) {
  const Problem<T> p{d, scale, mask, dropout};
  const std::int64_t blocks = (d.q_len + kBr - 1) / kBr;
  const std::int64_t units = d.batch * d.heads * blocks;
#pragma omp parallel if (units > 1 && multiply_adds(d) > kParallelWork)
  {
    Scratch<T> scratch(ForwardTiles<T>::elements(d));
    ForwardTiles<T> tiles(p, scratch);
    // The last query blocks see the most keys under a causal mask: hand them out first.
#pragma omp for schedule(dynamic)
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t bh = u % (d.batch * d.heads), block = blocks - 1 - u / (d.batch * d.heads);
      forward_block(p, q, k, v, o, lse, bh / d.heads, bh % d.heads, block * kBr, tiles);
    }
  }
}

template <class T>
void attention_backward(const AttentionDims& d, T scale, const AttentionMask<T>& mask,
                        const AttentionDropout& dropout, const T* q, const T* k, const T* v,
                        const T* o, const T* dout, const T* lse, T* dq, T* dk, T* dv) {
  const Problem<T> p{d, scale, mask, dropout};
  const std::int64_t key_blocks = (d.k_len + kBcBackward - 1) / kBcBackward;
  const std::int64_t groups = d.batch * d.kv_heads;
  const std::int64_t dq_size = d.batch * d.heads * d.q_len * d.head_dim;
  const bool parallel = multiply_adds(d) > kParallelWork;
  // Each unit owns the dk, dv rows of its key blocks. dq rows collect from every
  // key block, so a (batch, kv head) group owns the dq of its query heads; when
  // there are too few groups to share among the threads, each group's key
  // blocks are dealt round-robin into `splits` units that sum dq into separate
  // copies, added up at the end.
  const std::int64_t threads = parallel ? omp_get_max_threads() : 1;
  const std::int64_t splits = groups % threads == 0 || groups >= 4 * threads
                                  ? 1
                                  : std::min<std::int64_t>(threads, key_blocks);
  std::vector<T> dq_copies((splits - 1) * dq_size);
  const PackedQueries<T> packed(p, q, o, dout, lse);
  const std::int64_t units = groups * splits;
#pragma omp parallel if (parallel && units > 1)
  {
    Scratch<T> scratch(BackwardTiles<T>::elements(d));
    BackwardTiles<T> tiles(p, scratch);
#pragma omp for schedule(dynamic)
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t bg = u / splits, split = u % splits;
      const std::int64_t b = bg / d.kv_heads, kv_head = bg % d.kv_heads;
      T* dq_out = split == 0 ? dq : dq_copies.data() + (split - 1) * dq_size;
      const std::int64_t heads = p.group(), rows = d.q_len * d.head_dim;
      std::fill(dq_out + (b * d.heads + kv_head * heads) * rows,
                dq_out + (b * d.heads + (kv_head + 1) * heads) * rows, T(0));
      for (std::int64_t kb = split; kb < key_blocks; kb += splits)
        backward_key_block(p, packed, q, k, v, dout, dq_out, dk, dv, b, kv_head, kb * kBcBackward,
                           tiles);
    }
    if (splits > 1) {
#pragma omp for schedule(static)
      for (std::int64_t n = 0; n < dq_size; ++n)
        for (std::int64_t s = 1; s < splits; ++s) dq[n] += dq_copies[(s - 1) * dq_size + n];
    }
  }
}

template <class T>
void attention_weights(const AttentionDims& d, T scale, const AttentionMask<T>& mask, const T* q,
                       const T* k, const T* lse, T* w) {
  const AttentionDropout no_dropout;
  const Problem<T> p{d, scale, mask, no_dropout};
  const std::int64_t blocks = (d.q_len + kBr - 1) / kBr;
  const std::int64_t units = d.batch * d.heads * blocks;
#pragma omp parallel if (units > 1 && multiply_adds(d) > kParallelWork)
  {
    Scratch<T> scratch((d.head_dim + kBc + 1) * kBr);
    T* qt = scratch.take(d.head_dim * kBr);
    T* st = scratch.take(kBc * kBr);
    T* lanes = scratch.take(kBr);
#pragma omp for schedule(dynamic)
    for (std::int64_t u = 0; u < units; ++u) {
      const std::int64_t bh = u / blocks;
      weights_block(p, q, k, lse, w, bh / d.heads, bh % d.heads, u % blocks * kBr, qt, st, lanes);
    }
  }
}

#define QKV_INSTANTIATE(T)                                                                       \
  template void attention_forward<T>(const AttentionDims&, T, const AttentionMask<T>&,           \
                                     const AttentionDropout&, const T*, const T*, const T*, T*,  \
                                     T*);                                                        \
  template void attention_backward<T>(const AttentionDims&, T, const AttentionMask<T>&,          \
                                      const AttentionDropout&, const T*, const T*, const T*,     \
                                      const T*, const T*, const T*, T*, T*, T*);                 \
  template void attention_weights<T>(const AttentionDims&, T, const AttentionMask<T>&, const T*, \
                                     const T*, const T*, T*);
QKV_INSTANTIATE(float)
QKV_INSTANTIATE(double)
#undef QKV_INSTANTIATE

}  // namespace qkv::kernels
