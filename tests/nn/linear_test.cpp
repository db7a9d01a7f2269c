#include "nn/linear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/creation.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "ops/linear.h"

namespace qkv::nn {
namespace {

TEST(LinearModule, ParametersAndPyTorchInit) {
  Generator gen(1);
  Linear lin(100, 30, true, gen);
  EXPECT_EQ(lin.weight().shape(), (Shape{30, 100}));
  EXPECT_EQ(lin.bias().shape(), (Shape{30}));
  EXPECT_EQ(lin.weight().dtype(), DType::f32);
  ASSERT_EQ(lin.named_parameters().size(), 2u);
  EXPECT_EQ(lin.named_parameters()[0].first, "weight");
  EXPECT_EQ(lin.named_parameters()[1].first, "bias");
  EXPECT_TRUE(lin.weight().requires_grad());
  // U(-1/sqrt(in), 1/sqrt(in)) for both: in range, and spread over it.
  const double bound = 1.0 / std::sqrt(100.0);
  for (const Tensor& p : {lin.weight(), lin.bias()}) {
    double lo = 1, hi = -1, mean = 0;
    for (float v : p.to_vector<float>()) {
      ASSERT_LE(std::abs(v), bound);
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
      mean += v;
    }
    mean /= double(p.numel());
    EXPECT_LT(lo, -0.8 * bound);
    EXPECT_GT(hi, 0.8 * bound);
    EXPECT_NEAR(mean, 0, 0.3 * bound);
  }
  // The same generator state gives the same layer.
  Generator a(5), b(5);
  EXPECT_EQ(Linear(3, 2, true, a).weight().to_vector<float>(),
            Linear(3, 2, true, b).weight().to_vector<float>());
}

TEST(LinearModule, WithoutBias) {
  Linear lin(3, 2, false);
  EXPECT_FALSE(lin.bias().defined());
  EXPECT_EQ(lin.named_parameters().size(), 1u);
  EXPECT_EQ(lin.num_parameters(), 6);
  EXPECT_EQ(lin.extra_repr(), "in=3, out=2, bias=false");
}

TEST(LinearModule, ForwardIsTheLinearOp) {
  Linear lin(3, 2);
  const Tensor x = randn({4, 5, 3});
  const Tensor y = lin.forward(x);
  EXPECT_EQ(y.shape(), (Shape{4, 5, 2}));
  EXPECT_EQ(y.to_vector<float>(), linear(x, lin.weight(), lin.bias()).to_vector<float>());
  EXPECT_THROW(lin.forward(randn({4, 2})), Error);
  EXPECT_THROW(Linear(0, 3), Error);
}

TEST(LinearModule, GradcheckFloat64) {
  for (bool bias : {true, false}) {
    Linear lin(4, 3, bias);
    lin.to(DType::f64);
    const Tensor x = testing::leaf64({2, 5, 4}, 1);
    EXPECT_MODULE_GRADCHECK(lin, [&] { return lin.forward(x); }, {x});
  }
}

}  // namespace
}  // namespace qkv::nn
