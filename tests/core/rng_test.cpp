#include "core/rng.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "core/creation.h"
#include "core/philox.h"
#include "core/threading.h"

namespace qkv {
namespace {

TEST(Philox, KnownAnswers) {
  // Random123's kat_vectors for philox4x32-10: counter (4 words), key (2 words), output.
  struct Kat {
    std::array<std::uint32_t, 4> ctr;
    std::array<std::uint32_t, 2> key;
    std::array<std::uint32_t, 4> out;
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  auto join = [](std::uint32_t lo, std::uint32_t hi) { return (std::uint64_t(hi) << 32) | lo; };
  for (const auto& k : kats)
    EXPECT_EQ(
        philox4x32(join(k.ctr[0], k.ctr[1]), join(k.key[0], k.key[1]), join(k.ctr[2], k.ctr[3])),
        k.out);
}

TEST(Generator, SameSeedSameNumbers) {
  Generator a(7), b(7);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_EQ(a.next_uniform(), b.next_uniform());
  EXPECT_EQ(randn({100}, DType::f64, a).to_vector<double>(),
            randn({100}, DType::f64, b).to_vector<double>());
  EXPECT_EQ(rand({100}, -2, 3, DType::f32, a).to_vector<float>(),
            rand({100}, -2, 3, DType::f32, b).to_vector<float>());
  EXPECT_EQ(a.offset(), b.offset());
}

TEST(Generator, DifferentSeedsOrOffsetsDiffer) {
  Generator a(7), b(8);
  EXPECT_NE(randn({16}, DType::f64, a).to_vector<double>(),
            randn({16}, DType::f64, b).to_vector<double>());
  // The same seed at another offset gives other numbers...
  Generator c(7), d(7);
  d.set_state(7, 1000);
  EXPECT_NE(randn({16}, DType::f64, c).to_vector<double>(),
            randn({16}, DType::f64, d).to_vector<double>());
  // ...and successive draws from one generator differ.
  Generator e(7);
  const auto first = rand({16}, 0, 1, DType::f64, e).to_vector<double>();
  EXPECT_NE(first, rand({16}, 0, 1, DType::f64, e).to_vector<double>());
  EXPECT_NE(e.next_u64(), e.next_u64());
}

TEST(Generator, DrawsReserveCountersInOrder) {
  // Two draws of 10 equal one draw of 20: numbers depend on the counter only.
  Generator a(3), b(3);
  const auto x = randn({10}, DType::f64, a).to_vector<double>();
  const auto y = randn({10}, DType::f64, a).to_vector<double>();
  const auto xy = randn({20}, DType::f64, b).to_vector<double>();
  EXPECT_EQ(a.offset(), 20u);
  EXPECT_EQ(std::vector<double>(xy.begin(), xy.begin() + 10), x);
  EXPECT_EQ(std::vector<double>(xy.begin() + 10, xy.end()), y);
  // Restoring a saved state replays the same numbers.
  Generator c(3);
  c.set_state(3, 10);
  EXPECT_EQ(randn({10}, DType::f64, c).to_vector<double>(), y);
  EXPECT_EQ(c.seed(), 3u);
}

TEST(Generator, IndependentOfThreadCount) {
  // Large enough for the parallel fill path.
  const int before = num_threads();
  set_num_threads(1);
  Generator a(5);
  const auto one = randn({100000}, DType::f32, a).to_vector<float>();
  set_num_threads(2);
  Generator b(5);
  const auto two = randn({100000}, DType::f32, b).to_vector<float>();
  set_num_threads(before);
  EXPECT_EQ(one, two);
}

TEST(Generator, UniformStaysInRangeAndCoversIt) {
  Generator g(11);
  double lo = 1, hi = 0;
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const double u = g.next_uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    seen.insert(g.next_u64());
  }
  EXPECT_LT(lo, 0.01);
  EXPECT_GT(hi, 0.99);
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Generator, ManualSeedResetsTheDefault) {
  manual_seed(99);
  const auto a = randn({8}).to_vector<float>();
  manual_seed(99);
  EXPECT_EQ(randn({8}).to_vector<float>(), a);
  EXPECT_EQ(default_generator().seed(), 99u);
  EXPECT_EQ(default_generator().offset(), 8u);
}

}  // namespace
}  // namespace qkv
