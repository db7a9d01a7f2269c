#include "data/batching.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"

namespace qkv::data {
namespace {

std::vector<Example> corpus(std::int64_t n) {
  std::vector<Example> out;
  for (std::int64_t i = 0; i < n; ++i) {
    Example e;
    for (std::int64_t j = 0; j < 1 + (i * 7) % 13; ++j) e.source.push_back(3 + (i + j) % 20);
    for (std::int64_t j = 0; j < 1 + (i * 5) % 11; ++j) e.target.push_back(3 + (i * j) % 20);
    out.push_back(e);
  }
  return out;
}

TEST(Batching, LayoutOfOneBatch) {
  BatchingOptions o;
  o.shuffle = false;
  const auto b = make_batches({{{5, 6, 7}, {8, 9}}, {{5}, {8, 9, 10}}}, o, 0);
  ASSERT_EQ(b.size(), 1u);
  // Sorted by target length: the pair with 2 target tokens first.
  EXPECT_EQ(b[0].indices, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(b[0].source.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{5, 6, 7, 2, 5, 2, 0, 0}));
  EXPECT_EQ(b[0].target_in.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 8, 9, 0, 1, 8, 9, 10}));
  EXPECT_EQ(b[0].target_out.to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{8, 9, 2, 0, 8, 9, 10, 2}));
  EXPECT_EQ(b[0].target_tokens, 7);
}

TEST(Batching, EveryExampleOnceUnderTheBudget) {
  const auto ex = corpus(500);
  BatchingOptions o;
  o.max_tokens = 200;
  o.seed = 4;
  const auto batches = make_batches(ex, o, 0);
  std::set<std::int64_t> seen;
  for (const auto& b : batches) {
    const std::int64_t rows = b.source.size(0);
    EXPECT_LE(rows * (b.source.size(1) + b.target_in.size(1)), 200);
    for (auto i : b.indices) EXPECT_TRUE(seen.insert(i).second) << i;
  }
  EXPECT_EQ(seen.size(), 500u);
}

TEST(Batching, DeterministicPerEpochAndShuffledAcrossEpochs) {
  const auto ex = corpus(300);
  BatchingOptions o;
  o.max_tokens = 150;
  o.seed = 9;
  const auto a = make_batches(ex, o, 3), b = make_batches(ex, o, 3), c = make_batches(ex, o, 4);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].indices, b[i].indices);
  bool differs = false;
  for (std::size_t i = 0; i < std::min(a.size(), c.size()); ++i)
    differs = differs || a[i].indices != c[i].indices;
  EXPECT_TRUE(differs);
}

TEST(Batching, LongSequencesAreCutAndOversizedPairsStandAlone) {
  BatchingOptions o;
  o.max_length = 4;
  o.max_tokens = 5;
  o.shuffle = false;
  const auto b = make_batches({{{3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13}}, {{3}, {4}}}, o, 0);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].source.to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 4, 5, 2}));
  EXPECT_EQ(b[1].target_out.to_vector<std::int64_t>(), (std::vector<std::int64_t>{9, 10, 11, 2}));
  EXPECT_THROW(make_batches({}, o, 0), Error);
  EXPECT_THROW(make_batches({{{}, {3}}}, o, 0), Error);
  EXPECT_EQ(pad_sources({{5, 6}, {7}}, o).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{5, 6, 2, 7, 2, 0}));
}

}  // namespace
}  // namespace qkv::data
