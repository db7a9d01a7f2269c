#include "ops/dropout.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/reduce.h"

namespace qkv {
namespace {

using testing::leaf64;

TEST(DropoutOp, IdentityWhenNotTrainingOrPZero) {
  Tensor x = randn({3, 4});
  Generator gen(1);
  EXPECT_TRUE(dropout(x, 0.5, false, gen).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true, gen).is_same(x));
  EXPECT_EQ(gen.offset(), 0u);  // no counters used
}

// About p of the elements are dropped; the rest are scaled by exactly 1 / (1 - p).
TEST(DropoutOp, DropsAboutPAndScalesSurvivors) {
  const std::int64_t n = 200000;
  for (double p : {0.1, 0.3, 0.75}) {
    Tensor x = rand({n}, 0.5, 1.5);
    Generator gen(42);
    const auto y = dropout(x, p, true, gen).to_vector<float>();
    const auto xv = x.to_vector<float>();
    const float scale = static_cast<float>(1 / (1 - p));
    std::int64_t dropped = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      if (y[i] == 0)
        ++dropped;
      else
        ASSERT_EQ(y[i], xv[i] * scale);
    }
    // The binomial standard deviation is at most 0.0011 here; allow five.
    EXPECT_NEAR(double(dropped) / n, p, 0.0056) << "p " << p;
    EXPECT_EQ(gen.offset(), std::uint64_t(n));
  }
}

// The backward applies the forward's mask: zero gradient exactly where the output was dropped.
TEST(DropoutOp, BackwardUsesTheForwardMask) {
  Tensor x = rand({1000}, 1, 2, DType::f64);
  x.set_requires_grad(true);
  Generator gen(7);
  Tensor y = dropout(x, 0.4, true, gen);
  autograd::backward(sum(y));
  const auto yv = y.to_vector<double>(), g = x.grad().to_vector<double>();
  int dropped = 0;
  for (std::size_t i = 0; i < yv.size(); ++i) {
    EXPECT_EQ(g[i], yv[i] == 0 ? 0.0 : 1 / 0.6) << i;
    dropped += yv[i] == 0;
  }
  EXPECT_GT(dropped, 300);
  EXPECT_LT(dropped, 500);
}

TEST(DropoutOp, SeedDeterminesMaskAndCallsAdvance) {
  Tensor x = ones({500});
  Generator a(5), b(5);
  Tensor first = dropout(x, 0.5, true, a);
  EXPECT_EQ(first.to_vector<float>(), dropout(x, 0.5, true, b).to_vector<float>());
  EXPECT_NE(first.to_vector<float>(), dropout(x, 0.5, true, a).to_vector<float>());
}

TEST(DropoutOp, NonContiguousInputEqualsContiguousCopy) {
  Tensor x = view::transpose(randn({40, 30}), 0, 1);
  Generator a(3), b(3);
  EXPECT_EQ(dropout(x, 0.2, true, a).to_vector<float>(),
            dropout(view::contiguous(x), 0.2, true, b).to_vector<float>());
}

TEST(DropoutOp, Gradcheck) {
  // A fresh generator with a fixed seed in every call: the same mask each time.
  auto f = [](const std::vector<Tensor>& in) {
    Generator gen(11);
    return dropout(in[0], 0.3, true, gen);
  };
  EXPECT_GRADCHECK(f, (std::vector<Tensor>{leaf64({6, 7}, 1)}));
}

TEST(DropoutOp, ProbabilityOutOfRange) {
  Tensor x = randn({4});
  for (double p : {-0.1, 1.0, 1.5, std::nan("")}) EXPECT_THROW(dropout(x, p, true), Error) << p;
  EXPECT_THROW(dropout(x, 1.0, false), Error);
}

}  // namespace
}  // namespace qkv
