#include "kernels/masked_softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using kernels::AttentionDims;
using kernels::AttentionMask;
using testing::all_close;
using testing::random_floats;

// Against the double reference: the vector path rounds exp and the row sum
// in float, a few epsilons of the largest weight.
constexpr double kTol = 2e-6;

struct Masks {
  std::vector<std::int64_t> lengths;
  std::vector<std::uint8_t> allowed;
  std::vector<float> additive;
};

TEST(MaskedSoftmaxKernel, MatchesReferenceWithEveryMask) {
  const float inf = std::numeric_limits<float>::infinity();
  for (std::int64_t tk : testing::kWidths)
    for (std::int64_t tq : {1, 7, 65})
      for (int variant = 0; variant < 5; ++variant) {
        const std::int64_t batch = 3, heads = 2;
        const AttentionDims d{batch, heads, 1, tq, tk, 1, 1};
        const std::uint64_t seed = tq * 100 + tk * 7 + variant;
        const auto s = random_floats(batch * heads * tq * tk, seed, -4, 4);
        Masks store;
        AttentionMask<float> mask;
        if (variant == 1) mask.causal = true;
        if (variant == 2) {
          // A length of 0 (every row masked), a partial one and the full one.
          store.lengths = {0, (tk + 1) / 2, tk};
          mask.key_lengths = store.lengths.data();
        }
        if (variant == 3) {
          // [B, 1, Tq, Tk] bytes broadcast over heads, about a third hidden.
          const auto r = random_floats(batch * tq * tk, seed + 1);
          for (float x : r) store.allowed.push_back(x > -0.33f);
          mask.allowed = store.allowed.data();
          mask.allowed_strides = {tq * tk, 0, tk, 1};
        }
        if (variant == 4) {
          // [Tq, Tk] shared by batch and heads, with some -inf entries.
          store.additive = random_floats(tq * tk, seed + 2);
          for (std::size_t n = 0; n < store.additive.size(); n += 3) store.additive[n] = -inf;
          mask.additive = store.additive.data();
          mask.additive_strides = {0, 0, tk, 1};
          mask.causal = true;
        }
        std::vector<float> w(s.size()), want(s.size());
        kernels::masked_softmax_forward<float>(d, mask, s.data(), w.data());
        kernels::ref::masked_softmax_forward<float>(d, mask, s.data(), want.data());
        EXPECT_TRUE(all_close(w, want, 0, kTol))
            << "Tq " << tq << " Tk " << tk << " variant " << variant;
        // Rows sum to 1, or are all 0 when nothing is visible.
        for (std::int64_t r = 0; r < batch * heads * tq; ++r) {
          double sum = 0;
          for (std::int64_t j = 0; j < tk; ++j) sum += w[r * tk + j];
          EXPECT_TRUE(std::abs(sum - 1) < 1e-5 || sum == 0) << "row " << r << " sums to " << sum;
        }
      }
}

TEST(MaskedSoftmaxKernel, HiddenKeysGetExactlyZeroAndEmptyRowsZeros) {
  const AttentionDims d{2, 1, 1, 2, 3, 1, 1};
  const std::vector<float> s = {1, 2, 3, 4, 5, 6, 1, 1, 1, 2, 2, 2};
  const std::vector<std::int64_t> lengths = {2, 0};
  AttentionMask<float> mask;
  mask.key_lengths = lengths.data();
  std::vector<float> w(s.size(), -1);
  kernels::masked_softmax_forward<float>(d, mask, s.data(), w.data());
  const float e = std::exp(1.0f);
  EXPECT_NEAR(w[0], 1 / (1 + e), 1e-7);
  EXPECT_NEAR(w[1], e / (1 + e), 1e-7);
  EXPECT_EQ(w[2], 0.0f);
  EXPECT_EQ(w[5], 0.0f);
  for (int n = 6; n < 12; ++n) EXPECT_EQ(w[n], 0.0f) << n;
}

TEST(MaskedSoftmaxKernel, InPlaceEqualsOutOfPlace) {
  const AttentionDims d{1, 1, 1, 9, 70, 1, 1};
  AttentionMask<float> mask;
  mask.causal = true;
  auto s = random_floats(9 * 70, 5, -3, 3);
  std::vector<float> w(s.size());
  kernels::masked_softmax_forward<float>(d, mask, s.data(), w.data());
  kernels::masked_softmax_forward<float>(d, mask, s.data(), s.data());
  EXPECT_EQ(s, w);
}

}  // namespace
}  // namespace qkv
