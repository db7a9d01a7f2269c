#include "kernels/attention_rows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "harness/tensor_testing.h"

namespace qkv {
namespace {

using kernels::AttentionDims;
using kernels::AttentionDropout;
using kernels::AttentionMask;
using testing::random_floats;

// Against the double reference: dot products of up to 128 terms and sums of
// up to 300 weights in float, relative to the largest value of each array.
constexpr double kTol = 1e-5;

double relative(const std::vector<float>& got, const std::vector<float>& want) {
  double worst = 0, scale = 0;
  for (std::size_t n = 0; n < want.size(); ++n) {
    if (std::isinf(want[n])) {
      if (got[n] != want[n]) return INFINITY;
      continue;
    }
    scale = std::max(scale, double(std::abs(want[n])));
    worst = std::max(worst, std::abs(double(got[n]) - double(want[n])));
  }
  return worst / std::max(scale, 1e-30);
}

struct Case {
  std::int64_t batch, heads, kv_heads, tq, tk, dh, dv;
  bool causal, lengths, additive;
  double p;
};

TEST(AttentionRows, MatchesReferenceForwardAndItsLseServesTheBackward) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<Case> cases = {
      {1, 1, 1, 1, 1, 16, 16, false, false, false, 0},
      {2, 8, 2, 1, 65, 64, 64, true, true, false, 0},
      {3, 4, 1, 3, 300, 80, 16, true, false, true, 0},
      {2, 2, 2, 8, 7, 128, 128, false, true, true, 0},
      {1, 8, 8, 5, 33, 5, 3, false, false, false, 0.3},
      {2, 4, 2, 1, 1000, 64, 64, false, true, false, 0},
  };
  std::uint64_t seed = 1;
  for (const Case& c : cases) {
    const std::string where = "Tq " + std::to_string(c.tq) + " Tk " + std::to_string(c.tk) +
                              " dh " + std::to_string(c.dh) + " p " + std::to_string(c.p);
    const AttentionDims d{c.batch, c.heads, c.kv_heads, c.tq, c.tk, c.dh, c.dv};
    const auto q = random_floats(c.batch * c.heads * c.tq * c.dh, seed++, -2, 2);
    const auto k = random_floats(c.batch * c.kv_heads * c.tk * c.dh, seed++, -2, 2);
    const auto v = random_floats(c.batch * c.kv_heads * c.tk * c.dv, seed++);
    const auto dout = random_floats(c.batch * c.heads * c.tq * c.dv, seed++);
    std::vector<std::int64_t> lengths;
    std::vector<float> additive;
    AttentionMask<float> mask;
    mask.causal = c.causal;
    if (c.lengths) {
      for (std::int64_t b = 0; b < c.batch; ++b) lengths.push_back(b == 0 ? 0 : c.tk - b);
      mask.key_lengths = lengths.data();
    }
    if (c.additive) {
      additive = random_floats(c.tq * c.tk, seed++);
      for (std::size_t n = 1; n < additive.size(); n += 4) additive[n] = -inf;
      mask.additive = additive.data();
      mask.additive_strides = {0, 0, c.tk, 1};
    }
    AttentionDropout dropout{c.p, 77, 5};
    const float scale = 1 / std::sqrt(float(c.dh));
    std::vector<float> o(dout.size()), lse(c.batch * c.heads * c.tq), want_o(o.size()),
        want_lse(lse.size());
    kernels::attention_forward_rows<float>(d, scale, mask, dropout, q.data(), k.data(), v.data(),
                                           o.data(), lse.data());
    kernels::ref::attention_forward<float>(d, scale, mask, dropout, q.data(), k.data(), v.data(),
                                           want_o.data(), want_lse.data());
    EXPECT_LE(relative(o, want_o), kTol) << where;
    EXPECT_LE(relative(lse, want_lse), kTol) << where;
    for (float x : o) ASSERT_FALSE(std::isnan(x)) << where;

    std::vector<float> dq(q.size()), dk(k.size()), dv(v.size()), wq(q.size()), wk(k.size()),
        wv(v.size());
    kernels::attention_backward<float>(d, scale, mask, dropout, q.data(), k.data(), v.data(),
                                       o.data(), dout.data(), lse.data(), dq.data(), dk.data(),
                                       dv.data());
    kernels::ref::attention_backward<float>(d, scale, mask, dropout, q.data(), k.data(), v.data(),
                                            dout.data(), wq.data(), wk.data(), wv.data());
    EXPECT_LE(relative(dq, wq), kTol) << where << " dq";
    EXPECT_LE(relative(dk, wk), kTol) << where << " dk";
    EXPECT_LE(relative(dv, wv), kTol) << where << " dv";
  }
}

TEST(AttentionRows, DoubleMatchesReferenceTightly) {
  const AttentionDims d{2, 4, 2, 3, 50, 12, 7};
  const auto qf = random_floats(2 * 4 * 3 * 12, 3), kf = random_floats(2 * 2 * 50 * 12, 4),
             vf = random_floats(2 * 2 * 50 * 7, 5);
  const std::vector<double> q(qf.begin(), qf.end()), k(kf.begin(), kf.end()),
      v(vf.begin(), vf.end());
  AttentionMask<double> mask;
  mask.causal = true;
  std::vector<double> o(2 * 4 * 3 * 7), lse(2 * 4 * 3), wo(o.size()), wl(lse.size());
  kernels::attention_forward_rows<double>(d, 0.3, mask, {}, q.data(), k.data(), v.data(), o.data(),
                                          lse.data());
  kernels::ref::attention_forward<double>(d, 0.3, mask, {}, q.data(), k.data(), v.data(), wo.data(),
                                          wl.data());
  for (std::size_t n = 0; n < o.size(); ++n) EXPECT_NEAR(o[n], wo[n], 1e-12);
  for (std::size_t n = 0; n < lse.size(); ++n) EXPECT_NEAR(lse[n], wl[n], 1e-12);
}

}  // namespace
}  // namespace qkv
