#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/threading.h"
#include "harness/tensor_testing.h"

namespace qkv {
namespace {

using kernels::AttentionDims;
using kernels::AttentionDropout;
using kernels::AttentionMask;
using kernels::MaskStrides;
using testing::random_floats;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Tolerance of the float32 tiled kernel against the reference: max |got - want|
// over an array, relative to the largest |want| in it (o, lse, dq, dk, dv each).
// The reference accumulates in double and rounds once; the tiled kernel
// accumulates in float over dh, dv and up to 1000 keys, and rescales partial
// sums as the running max grows. Measured over every case below: at most
// 2.0e-6 (a few float epsilons times the square root of the sum lengths);
// the bound leaves a factor of five.
constexpr double kTol = 1e-5;

enum class BoolMask { kNone, kPerKey, kFull, kShared };
enum class AddMask { kNone, kShared, kPerKey };

struct Case {
  std::int64_t batch = 1, heads = 1, kv_heads = 1, tq = 1, tk = 1, dh = 16, dv = 16;
  bool causal = false;
  bool lengths = false;  // key padding, one length per batch (0, partial and full among them)
  BoolMask allowed = BoolMask::kNone;
  AddMask additive = AddMask::kNone;
  double p = 0;  // dropout

  std::string name() const {
    std::ostringstream s;
    s << "B " << batch << " h " << heads << " g " << kv_heads << " Tq " << tq << " Tk " << tk
      << " dh " << dh << " dv " << dv << (causal ? " causal" : "") << (lengths ? " lengths" : "")
      << " bool " << int(allowed) << " add " << int(additive) << " p " << p;
    return s.str();
  }
  AttentionDims dims() const { return {batch, heads, kv_heads, tq, tk, dh, dv}; }
};

// Inputs and mask storage of one case, in T.
template <class T>
struct Inputs {
  std::vector<T> q, k, v, dout;
  std::vector<std::int64_t> lengths;
  std::vector<std::uint8_t> allowed;
  std::vector<T> additive;
  AttentionMask<T> mask;
  AttentionDropout dropout;
  T scale;

  template <class S>
  static std::vector<T> cast(const std::vector<S>& x) {
    return std::vector<T>(x.begin(), x.end());
  }

  Inputs(const Case& c, std::uint64_t seed) {
    // Scores of a few units, so some rows are peaked and some flat.
    q = cast(random_floats(c.batch * c.heads * c.tq * c.dh, seed, -2, 2));
    k = cast(random_floats(c.batch * c.kv_heads * c.tk * c.dh, seed + 1, -2, 2));
    v = cast(random_floats(c.batch * c.kv_heads * c.tk * c.dv, seed + 2));
    dout = cast(random_floats(c.batch * c.heads * c.tq * c.dv, seed + 3));
    scale = static_cast<T>(1 / std::sqrt(double(c.dh)));
    mask.causal = c.causal;
    if (c.lengths) {
      for (std::int64_t b = 0; b < c.batch; ++b)
        lengths.push_back(b % 3 == 0 ? c.tk : b % 3 == 1 ? (c.tk + 1) / 2 : 0);
      mask.key_lengths = lengths.data();
    }
    const auto bits = random_floats(c.batch * c.heads * c.tq * c.tk, seed + 4);
    switch (c.allowed) {
      case BoolMask::kNone:
        break;
      case BoolMask::kPerKey:  // [B, 1, 1, Tk]
        for (std::int64_t n = 0; n < c.batch * c.tk; ++n) allowed.push_back(bits[n] > -0.5);
        mask.allowed_strides = {c.tk, 0, 0, 1};
        break;
      case BoolMask::kFull:  // [B, h, Tq, Tk], with query 0 of every head fully masked
        for (std::int64_t n = 0; n < c.batch * c.heads * c.tq * c.tk; ++n)
          allowed.push_back(n % (c.tq * c.tk) >= c.tk && bits[n] > -0.3);
        mask.allowed_strides = {c.heads * c.tq * c.tk, c.tq * c.tk, c.tk, 1};
        break;
      case BoolMask::kShared:  // [1, 1, Tq, Tk]
        for (std::int64_t n = 0; n < c.tq * c.tk; ++n) allowed.push_back(bits[n] > -0.8);
        mask.allowed_strides = {0, 0, c.tk, 1};
        break;
    }
    if (!allowed.empty()) mask.allowed = allowed.data();
    const auto values = random_floats(c.batch * c.tq * c.tk, seed + 5, -3, 1);
    switch (c.additive) {
      case AddMask::kNone:
        break;
      case AddMask::kShared:  // [1, 1, Tq, Tk], -inf where the draw is below -2.5
        for (std::int64_t n = 0; n < c.tq * c.tk; ++n)
          additive.push_back(values[n] < -2.5 ? -kInf : values[n]);
        mask.additive_strides = {0, 0, c.tk, 1};
        break;
      case AddMask::kPerKey:  // [B, 1, 1, Tk]
        for (std::int64_t n = 0; n < c.batch * c.tk; ++n) additive.push_back(values[n]);
        mask.additive_strides = {c.tk, 0, 0, 1};
        break;
    }
    if (!additive.empty()) mask.additive = additive.data();
    dropout = {c.p, seed * 7 + 1, seed * 1000};
  }
};

// Results of one forward and backward.
template <class T>
struct Results {
  std::vector<T> o, lse, dq, dk, dv;
  explicit Results(const Case& c)
      : o(c.batch * c.heads * c.tq * c.dv),
        lse(c.batch * c.heads * c.tq),
        dq(c.batch * c.heads * c.tq * c.dh),
        dk(c.batch * c.kv_heads * c.tk * c.dh),
        dv(c.batch * c.kv_heads * c.tk * c.dv) {}
};

template <class T>
Results<T> run_tiled(const Case& c, const Inputs<T>& in) {
  Results<T> r(c);
  kernels::attention_forward<T>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(), in.k.data(),
                                in.v.data(), r.o.data(), r.lse.data());
  kernels::attention_backward<T>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(), in.k.data(),
                                 in.v.data(), r.o.data(), in.dout.data(), r.lse.data(), r.dq.data(),
                                 r.dk.data(), r.dv.data());
  return r;
}

template <class T>
Results<T> run_reference(const Case& c, const Inputs<T>& in) {
  Results<T> r(c);
  kernels::ref::attention_forward<T>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(),
                                     in.k.data(), in.v.data(), r.o.data(), r.lse.data());
  kernels::ref::attention_backward<T>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(),
                                      in.k.data(), in.v.data(), in.dout.data(), r.dq.data(),
                                      r.dk.data(), r.dv.data());
  return r;
}

// max |got - want| / max(|want|, 1e-30); equal infinities match, NaN never does.
template <class T>
double relative_error(const std::vector<T>& got, const std::vector<T>& want) {
  double worst = 0, scale = 0;
  for (std::size_t n = 0; n < want.size(); ++n)
    if (std::isfinite(want[n])) scale = std::max(scale, std::abs(double(want[n])));
  for (std::size_t n = 0; n < want.size(); ++n) {
    if (std::isnan(got[n]) || std::isnan(want[n])) return kInf;
    if (std::isinf(want[n]) || std::isinf(got[n])) {
      if (got[n] != want[n]) return kInf;
      continue;
    }
    worst = std::max(worst, std::abs(double(got[n]) - double(want[n])));
  }
  return worst / std::max(scale, 1e-30);
}

template <class T>
void expect_same(const Case& c, const Results<T>& got, const Results<T>& want, double tol) {
  SCOPED_TRACE(c.name());
  EXPECT_LE(relative_error(got.o, want.o), tol) << "o";
  EXPECT_LE(relative_error(got.lse, want.lse), tol) << "lse";
  EXPECT_LE(relative_error(got.dq, want.dq), tol) << "dq";
  EXPECT_LE(relative_error(got.dk, want.dk), tol) << "dk";
  EXPECT_LE(relative_error(got.dv, want.dv), tol) << "dv";
}

// A covering set of sizes: lengths below, at and above one 64-query/64-key tile
// and many tiles; head widths 16, 64, 80, 128 and a v width unlike q's; widths
// 5, 3, 24 and 40, which end the tile products' column chunks on whole and on
// partial vectors of 8 and of 16 lanes; MHA, GQA and MQA.
std::vector<Case> plain_cases() {
  return {
      {.tq = 1, .tk = 1, .dh = 16, .dv = 16},
      {.heads = 8, .kv_heads = 2, .tq = 7, .tk = 63, .dh = 16, .dv = 16},
      {.heads = 8, .kv_heads = 8, .tq = 64, .tk = 64, .dh = 64, .dv = 64},
      {.batch = 2, .heads = 8, .kv_heads = 1, .tq = 65, .tk = 257, .dh = 80, .dv = 80},
      {.tq = 257, .tk = 65, .dh = 128, .dv = 128},
      {.heads = 1, .tq = 1000, .tk = 1000, .dh = 64, .dv = 64},
      {.heads = 8, .kv_heads = 2, .tq = 1, .tk = 1000, .dh = 64, .dv = 64},
      {.heads = 1, .tq = 63, .tk = 7, .dh = 16, .dv = 80},
      {.batch = 3, .heads = 2, .kv_heads = 1, .tq = 33, .tk = 100, .dh = 5, .dv = 3},
      {.heads = 2, .kv_heads = 1, .tq = 129, .tk = 95, .dh = 24, .dv = 40},
  };
}

TEST(AttentionKernel, TiledMatchesReference) {
  std::uint64_t seed = 1;
  for (const Case& c : plain_cases()) {
    const Inputs<float> in(c, seed += 10);
    expect_same(c, run_tiled(c, in), run_reference(c, in), kTol);
  }
}

TEST(AttentionKernel, AnyThreadCountMatchesReference) {
  // With fewer (batch, kv head) groups than threads the backward splits each
  // group's key blocks among threads, each summing dq into its own copy.
  const Case c{.batch = 1,
               .heads = 4,
               .kv_heads = 2,
               .tq = 300,
               .tk = 520,
               .dh = 16,
               .dv = 16,
               .causal = true};
  const Inputs<float> in(c, 50);
  const Results<float> want = run_reference(c, in);
  const int threads = num_threads();
  for (int n : {1, 3, 4}) {
    set_num_threads(n);
    SCOPED_TRACE(n);
    expect_same(c, run_tiled(c, in), want, kTol);
  }
  set_num_threads(threads);
}

TEST(AttentionKernel, CausalMatchesReference) {
  std::uint64_t seed = 100;
  for (Case c : plain_cases()) {
    c.causal = true;  // Tq < Tk, Tq = Tk and Tq > Tk (early queries see no key) among them
    const Inputs<float> in(c, seed += 10);
    expect_same(c, run_tiled(c, in), run_reference(c, in), kTol);
  }
}

TEST(AttentionKernel, MasksMatchReference) {
  const std::vector<Case> cases{
      {.batch = 3,
       .heads = 8,
       .kv_heads = 2,
       .tq = 65,
       .tk = 257,
       .dh = 64,
       .dv = 64,
       .lengths = true},
      {.batch = 3,
       .heads = 2,
       .kv_heads = 2,
       .tq = 70,
       .tk = 130,
       .dh = 16,
       .dv = 16,
       .causal = true,
       .lengths = true},
      {.batch = 2,
       .heads = 2,
       .kv_heads = 1,
       .tq = 63,
       .tk = 100,
       .dh = 80,
       .dv = 16,
       .allowed = BoolMask::kPerKey},
      {.batch = 2,
       .heads = 8,
       .kv_heads = 2,
       .tq = 65,
       .tk = 64,
       .dh = 16,
       .dv = 16,
       .allowed = BoolMask::kFull},
      {.heads = 2,
       .kv_heads = 1,
       .tq = 130,
       .tk = 70,
       .dh = 64,
       .dv = 64,
       .causal = true,
       .allowed = BoolMask::kShared,
       .additive = AddMask::kShared},
      {.batch = 2,
       .heads = 1,
       .tq = 7,
       .tk = 257,
       .dh = 128,
       .dv = 128,
       .additive = AddMask::kPerKey},
      {.batch = 3,
       .heads = 8,
       .kv_heads = 1,
       .tq = 64,
       .tk = 65,
       .dh = 16,
       .dv = 16,
       .causal = true,
       .lengths = true,
       .allowed = BoolMask::kFull,
       .additive = AddMask::kShared},
  };
  std::uint64_t seed = 200;
  for (const Case& c : cases) {
    const Inputs<float> in(c, seed += 10);
    expect_same(c, run_tiled(c, in), run_reference(c, in), kTol);
  }
}

TEST(AttentionKernel, RowsWithNoVisibleKeyGiveZerosNotNaN) {
  // Batch 1 has key length 0; query 0 of every head is masked by the boolean
  // mask; under the causal mask with Tq > Tk the first Tq - Tk queries see nothing.
  const Case c{.batch = 2,
               .heads = 2,
               .kv_heads = 1,
               .tq = 70,
               .tk = 66,
               .dh = 16,
               .dv = 16,
               .causal = true,
               .allowed = BoolMask::kFull};
  Inputs<float> in(c, 5);
  in.lengths = {c.tk, 0};
  in.mask.key_lengths = in.lengths.data();
  const Results<float> r = run_tiled(c, in);
  for (std::int64_t b = 0; b < c.batch; ++b)
    for (std::int64_t h = 0; h < c.heads; ++h)
      for (std::int64_t i = 0; i < c.tq; ++i) {
        const std::int64_t row = (b * c.heads + h) * c.tq + i;
        const bool blind = b == 1 || i == 0 || i < c.tq - c.tk;
        if (!blind) continue;
        EXPECT_EQ(r.lse[row], -kInf) << "row " << row;
        for (std::int64_t e = 0; e < c.dv; ++e) EXPECT_EQ(r.o[row * c.dv + e], 0.0f);
        for (std::int64_t e = 0; e < c.dh; ++e) EXPECT_EQ(r.dq[row * c.dh + e], 0.0f);
      }
  for (std::int64_t n = 0; n < c.tk * c.dh; ++n) EXPECT_EQ(r.dk[c.tk * c.dh + n], 0.0f);
  for (std::int64_t n = 0; n < c.tk * c.dv; ++n) EXPECT_EQ(r.dv[c.tk * c.dv + n], 0.0f);
  expect_same(c, r, run_reference(c, in), kTol);
}

TEST(AttentionKernel, DropoutMatchesReference) {
  const std::vector<Case> cases{
      {.heads = 8, .kv_heads = 2, .tq = 65, .tk = 130, .dh = 64, .dv = 64, .p = 0.1},
      {.batch = 2,
       .heads = 2,
       .kv_heads = 1,
       .tq = 63,
       .tk = 66,
       .dh = 16,
       .dv = 16,
       .causal = true,
       .lengths = true,
       .p = 0.5},
      // An odd Tk starts the rows' weights at every word of a Philox counter.
      {.heads = 2, .tq = 37, .tk = 201, .dh = 5, .dv = 24, .p = 0.3},
  };
  std::uint64_t seed = 300;
  for (const Case& c : cases) {
    const Inputs<float> in(c, seed += 10);
    const Results<float> r = run_tiled(c, in);
    expect_same(c, r, run_reference(c, in), kTol);
    // The same counters give the same mask on a second run; other counters do not.
    EXPECT_EQ(run_tiled(c, in).o, r.o);
    Inputs<float> moved = in;
    moved.dropout.offset += kernels::attention_dropout_counters(c.dims());
    EXPECT_NE(run_tiled(c, moved).o, r.o);
  }
}

TEST(AttentionKernel, DropoutCountersCarryingIntoTheHighWordMatchReference) {
  // Counters offset + [0, 600): the low 32-bit word wraps inside the vectors of
  // counters the tiled kernel draws at once.
  const Case c{.heads = 2, .tq = 20, .tk = 60, .dh = 16, .dv = 16, .p = 0.4};
  for (std::uint64_t offset : {0xFFFFFFFFull - 300, 0x1FFFFFFFFull - 5}) {
    SCOPED_TRACE(offset);
    Inputs<float> in(c, 320);
    in.dropout.offset = offset;
    expect_same(c, run_tiled(c, in), run_reference(c, in), kTol);
  }
}

TEST(AttentionKernel, DropoutDropsAboutAFractionP) {
  // With q = 0 every weight is 1 / Tk, and with v the identity o is the dropped
  // weight matrix itself: 0 or 1 / (Tk (1 - p)).
  const double p = 0.3;
  const Case c{.heads = 2, .tq = 100, .tk = 96, .dh = 16, .dv = 96, .p = p};
  Inputs<float> in(c, 9);
  std::fill(in.q.begin(), in.q.end(), 0.0f);
  std::fill(in.v.begin(), in.v.end(), 0.0f);
  for (std::int64_t j = 0; j < c.tk; ++j) in.v[j * c.dv + j] = 1;
  const Results<float> r = run_tiled(c, in);
  const float kept = static_cast<float>(1 / (c.tk * (1 - p)));
  std::int64_t dropped = 0;
  for (float x : r.o) {
    EXPECT_TRUE(x == 0 || std::abs(x - kept) < 1e-6 * kept) << x;
    dropped += x == 0;
  }
  const double n = double(r.o.size()), fraction = dropped / n;
  // Binomial: the fraction's standard deviation is sqrt(p (1 - p) / n) ~ 0.003.
  EXPECT_NEAR(fraction, p, 5 * std::sqrt(p * (1 - p) / n));
}

TEST(AttentionKernel, WeightsMatchReference) {
  const std::vector<Case> cases{
      {.batch = 2,
       .heads = 4,
       .kv_heads = 2,
       .tq = 70,
       .tk = 130,
       .dh = 16,
       .dv = 16,
       .causal = true,
       .lengths = true},
      {.heads = 2,
       .kv_heads = 1,
       .tq = 65,
       .tk = 65,
       .dh = 64,
       .dv = 64,
       .allowed = BoolMask::kFull,
       .additive = AddMask::kShared},
  };
  std::uint64_t seed = 400;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name());
    const Inputs<float> in(c, seed += 10);
    Results<float> r(c);
    kernels::attention_forward<float>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(),
                                      in.k.data(), in.v.data(), r.o.data(), r.lse.data());
    std::vector<float> got(c.batch * c.heads * c.tq * c.tk), want(got.size());
    kernels::attention_weights<float>(c.dims(), in.scale, in.mask, in.q.data(), in.k.data(),
                                      r.lse.data(), got.data());
    kernels::ref::attention_weights<float>(c.dims(), in.scale, in.mask, in.q.data(), in.k.data(),
                                           want.data());
    EXPECT_LE(testing::max_abs_diff(got, want), 1e-6);
  }
}

TEST(AttentionKernel, DoubleMatchesReference) {
  const std::vector<Case> cases{
      {.batch = 2,
       .heads = 4,
       .kv_heads = 2,
       .tq = 70,
       .tk = 130,
       .dh = 24,
       .dv = 20,
       .causal = true,
       .lengths = true,
       .allowed = BoolMask::kShared,
       .additive = AddMask::kPerKey,
       .p = 0.2},
  };
  for (const Case& c : cases) {
    const Inputs<double> in(c, 500);
    expect_same(c, run_tiled(c, in), run_reference(c, in), 1e-12);
  }
}

// The reference's gradients against central differences of its own forward, in
// double, on a tiny case with every mask and dropout: the oracle itself is right.
TEST(AttentionKernel, ReferenceGradientsMatchFiniteDifferences) {
  const Case c{.batch = 2,
               .heads = 2,
               .kv_heads = 1,
               .tq = 3,
               .tk = 5,
               .dh = 3,
               .dv = 2,
               .causal = true,
               .lengths = true,
               .allowed = BoolMask::kShared,
               .additive = AddMask::kShared,
               .p = 0.25};
  Inputs<double> in(c, 600);
  in.lengths = {4, 3};
  const Results<double> r = run_reference(c, in);
  // loss = sum(o * dout), whose gradient the backward returns.
  auto loss = [&]() {
    Results<double> f(c);
    kernels::ref::attention_forward<double>(c.dims(), in.scale, in.mask, in.dropout, in.q.data(),
                                            in.k.data(), in.v.data(), f.o.data(), f.lse.data());
    double s = 0;
    for (std::size_t n = 0; n < f.o.size(); ++n) s += f.o[n] * in.dout[n];
    return s;
  };
  const double h = 1e-6;
  auto check = [&](std::vector<double>& x, const std::vector<double>& grad, const char* name) {
    for (std::size_t n = 0; n < x.size(); ++n) {
      const double x0 = x[n];
      x[n] = x0 + h;
      const double up = loss();
      x[n] = x0 - h;
      const double down = loss();
      x[n] = x0;
      EXPECT_NEAR(grad[n], (up - down) / (2 * h), 1e-8) << name << "[" << n << "]";
    }
  };
  check(in.q, r.dq, "dq");
  check(in.k, r.dk, "dk");
  check(in.v, r.dv, "dv");
}

}  // namespace
}  // namespace qkv
