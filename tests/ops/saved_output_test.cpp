// Ops whose backward reads their own output must not keep that output alive
// through a cycle (output -> node -> backward function -> output): a graph
// that is built and dropped without a backward pass must free its memory.

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "core/creation.h"
#include "ops/activation.h"
#include "ops/arith.h"
#include "ops/softmax.h"

namespace qkv {
namespace {

bool output_is_freed(const std::function<Tensor(const Tensor&)>& op) {
  Tensor x = randn({4, 5});
  x.set_requires_grad(true);
  std::weak_ptr<TensorImpl> weak;
  {
    Tensor y = op(x);
    EXPECT_TRUE(y.requires_grad());
    weak = y.impl_ptr();
  }
  return weak.expired();
}

TEST(SavedOutput, DroppedGraphIsFreed) {
  EXPECT_TRUE(output_is_freed([](const Tensor& x) { return exp(x); }));
  EXPECT_TRUE(output_is_freed([](const Tensor& x) { return sigmoid(x); }));
  EXPECT_TRUE(output_is_freed([](const Tensor& x) { return x / (x * x + 1.0); }));
  EXPECT_TRUE(output_is_freed([](const Tensor& x) { return softmax(x); }));
  EXPECT_TRUE(output_is_freed([](const Tensor& x) { return log_softmax(x); }));
}

}  // namespace
}  // namespace qkv
