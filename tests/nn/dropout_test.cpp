#include "nn/dropout.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "core/creation.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

TEST(DropoutModule, ActiveOnlyInTraining) {
  Generator gen(1);
  Dropout drop(0.25, gen);
  const Tensor x = ones({100000});
  EXPECT_TRUE(drop.is_training());
  const auto y = drop.forward(x).to_vector<float>();
  std::int64_t zeros_seen = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.f || std::abs(v - 1.f / 0.75f) < 1e-6) << v;
    zeros_seen += v == 0.f;
  }
  EXPECT_NEAR(double(zeros_seen) / 100000, 0.25, 0.01);
  drop.eval();
  EXPECT_EQ(drop.forward(x).to_vector<float>(), x.to_vector<float>());
  drop.train();
  EXPECT_NE(drop.forward(x).to_vector<float>(), x.to_vector<float>());
}

TEST(DropoutModule, DrawsFromItsGenerator) {
  Generator a(7), b(7);
  Dropout da(0.5, a), db(0.5, b);
  const Tensor x = ones({64});
  const auto first = da.forward(x).to_vector<float>();
  EXPECT_EQ(first, db.forward(x).to_vector<float>());
  // The generator advanced: the next mask differs.
  EXPECT_NE(first, da.forward(x).to_vector<float>());
  EXPECT_GT(a.offset(), 0u);
}

TEST(DropoutModule, GradientFollowsTheMask) {
  Generator gen(3);
  Dropout drop(0.5, gen);
  Tensor x = ones({32});
  x.set_requires_grad(true);
  const Tensor y = drop.forward(x);
  autograd::backward(sum(y));
  EXPECT_EQ(x.grad().to_vector<float>(), y.to_vector<float>());  // x = 1: dy/dx = y
}

TEST(DropoutModule, RejectsBadProbability) {
  EXPECT_THROW(Dropout(-0.1), Error);
  EXPECT_THROW(Dropout(1.0), Error);
  EXPECT_EQ(Dropout(0.1).extra_repr(), "p=0.1");
  EXPECT_TRUE(Dropout(0.1).named_parameters().empty());
}

}  // namespace
}  // namespace qkv::nn
