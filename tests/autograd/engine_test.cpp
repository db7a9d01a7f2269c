#include "autograd/engine.h"

#include <gtest/gtest.h>

#include "autograd/grad_mode.h"
#include "autograd/record.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace qkv {
namespace {

TEST(Autograd, ChainRuleThroughSharedInput) {
  // y = sum(x * x + 3x) -> dy/dx = 2x + 3; x used twice accumulates.
  Tensor x = from_vector(std::vector<double>{1, -2, 0.5}, {3}, DType::f64);
  x.set_requires_grad(true);
  Tensor y = sum(x * x + x * 3.0);
  autograd::backward(y);
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{5, -1, 4}));
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = from_vector(std::vector<double>{2}, {1}, DType::f64);
  x.set_requires_grad(true);
  autograd::backward(sum(x * x));
  autograd::backward(sum(x * x));
  EXPECT_EQ(x.grad().item<double>(), 8.0);
}

TEST(Autograd, NoGradGuardAndDetachRecordNothing) {
  Tensor x = ones({2});
  x.set_requires_grad(true);
  {
    autograd::NoGradGuard guard;
    EXPECT_FALSE((x * 2.0).requires_grad());
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
  Tensor d = autograd::detach(x * 2.0);
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.to_vector<float>(), (std::vector<float>{2, 2}));
}

TEST(Autograd, BackwardNeedsScalarOrSeed) {
  Tensor x = ones({2});
  x.set_requires_grad(true);
  Tensor y = x * 2.0;
  EXPECT_THROW(autograd::backward(y), Error);
  autograd::backward(y, from_vector(std::vector<float>{1, 10}, {2}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 20}));
  EXPECT_THROW(autograd::backward(ones({2})), Error);
}

TEST(Autograd, SecondBackwardWithoutRetainThrows) {
  Tensor x = ones({2});
  x.set_requires_grad(true);
  Tensor y = sum(x * x);
  autograd::backward(y, Tensor(), {.retain_graph = true});
  autograd::backward(y);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{4, 4}));
  EXPECT_THROW(autograd::backward(y), Error);
}

TEST(Autograd, GradcheckCatchesAWrongGradient) {
  // A deliberately wrong backward must fail the check.
  Tensor x = testing::leaf64({4}, 1);
  auto wrong = [](const std::vector<Tensor>& in) {
    Tensor y = view::clone(in[0]);
    return autograd::record("wrong", y, {in[0]}, [](const auto& c) {
      return std::vector<Tensor>{c.grad() * 2.0};
    });
  };
  EXPECT_FALSE(autograd::gradcheck(wrong, {x}).ok);
}

TEST(Autograd, GradcheckMatmulChain) {
  Tensor a = testing::leaf64({3, 4}, 1), b = testing::leaf64({4, 5}, 2);
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
}

TEST(Autograd, SeedIsConvertedToTheRootsDtype) {
  Tensor x = ones({2});
  x.set_requires_grad(true);
  autograd::backward(x * x, from_vector(std::vector<double>{1, 3}, {2}, DType::f64));
  EXPECT_EQ(x.grad().dtype(), DType::f32);
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 6}));
  EXPECT_THROW(autograd::backward(x * x, arange(2)), Error);
}

}  // namespace
}  // namespace qkv
