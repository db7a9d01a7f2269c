// A leaf's first gradient may be taken without a copy only when nothing else
// can see its bytes; these cases hand the engine gradients that are shared.

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv {
namespace {

TEST(LeafGradient, SeedSharedWithCallerIsCopied) {
  Tensor x = zeros({2, 3});
  x.set_requires_grad(true);
  Tensor seed = ones({6});
  autograd::backward(reshape(x, {6}), seed);  // the gradient is a view of seed
  fill_(seed, 5);
  EXPECT_EQ(x.grad().to_vector<float>(), std::vector<float>(6, 1.0f));
}

TEST(LeafGradient, GradientReachingTwoLeavesIsCopied) {
  Tensor a = zeros({3}), b = zeros({3});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  autograd::backward(a + b, ones({3}));  // both receive the same tensor
  autograd::backward(a * 2.0, ones({3}));
  EXPECT_EQ(a.grad().to_vector<float>(), std::vector<float>(3, 3.0f));
  EXPECT_EQ(b.grad().to_vector<float>(), std::vector<float>(3, 1.0f));
}

}  // namespace
}  // namespace qkv
