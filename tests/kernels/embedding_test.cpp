#include "kernels/embedding.h"

#include <gtest/gtest.h>

#include "core/rng.h"
#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using testing::random_floats;

// Ids drawn from a small vocabulary, so most rows are hit many times.
std::vector<std::int64_t> random_ids(std::int64_t n, std::int64_t vocab, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<std::int64_t> ids(n);
  for (auto& id : ids) id = static_cast<std::int64_t>(gen.next_u64() % std::uint64_t(vocab));
  return ids;
}

TEST(EmbeddingKernel, MatchesReference) {
  for (auto d : testing::kWidths)
    for (auto n : testing::kRowCounts)
      for (std::int64_t vocab : {1, 7, 100}) {
        const auto ids = random_ids(n, vocab, n * 100 + vocab);
        const auto weight = random_floats(vocab * d, d);
        const auto dy = random_floats(n * d, n + d);
        std::vector<float> out(n * d), want(n * d);
        kernels::embedding_forward<float>(n, d, ids.data(), weight.data(), out.data());
        kernels::ref::embedding_forward<float>(n, d, ids.data(), weight.data(), want.data());
        EXPECT_EQ(out, want) << "n " << n << ", d " << d << ", V " << vocab;
        for (std::int64_t skip : {std::int64_t(-1), vocab - 1}) {
          std::vector<float> dw(vocab * d, 42.0f), want_dw(vocab * d);
          kernels::embedding_backward<float>(n, d, vocab, ids.data(), dy.data(), skip, dw.data());
          kernels::ref::embedding_backward<float>(n, d, vocab, ids.data(), dy.data(), skip,
                                                  want_dw.data());
          // Same additions in the same order: exactly equal.
          EXPECT_EQ(dw, want_dw) << "n " << n << ", d " << d << ", V " << vocab;
        }
      }
}

TEST(EmbeddingKernel, DoubleMatchesReference) {
  const std::int64_t n = 65, d = 7, vocab = 9;
  const auto ids = random_ids(n, vocab, 1);
  const auto wf = random_floats(vocab * d, 2), dyf = random_floats(n * d, 3);
  const std::vector<double> weight(wf.begin(), wf.end()), dy(dyf.begin(), dyf.end());
  std::vector<double> out(n * d), want(n * d), dw(vocab * d), want_dw(vocab * d);
  kernels::embedding_forward<double>(n, d, ids.data(), weight.data(), out.data());
  kernels::ref::embedding_forward<double>(n, d, ids.data(), weight.data(), want.data());
  EXPECT_EQ(out, want);
  kernels::embedding_backward<double>(n, d, vocab, ids.data(), dy.data(), 3, dw.data());
  kernels::ref::embedding_backward<double>(n, d, vocab, ids.data(), dy.data(), 3, want_dw.data());
  EXPECT_EQ(dw, want_dw);
}

}  // namespace
}  // namespace qkv
