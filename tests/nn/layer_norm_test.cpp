#include "nn/layer_norm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

TEST(LayerNormModule, ParametersLikeTorch) {
  LayerNorm ln(5);
  EXPECT_EQ(ln.named_parameters().size(), 2u);
  EXPECT_EQ(ln.named_parameters()[0].first, "weight");
  EXPECT_EQ(ln.named_parameters()[1].first, "bias");
  EXPECT_EQ(ln.weight().to_vector<float>(), std::vector<float>(5, 1.f));
  EXPECT_EQ(ln.bias().to_vector<float>(), std::vector<float>(5, 0.f));
  EXPECT_EQ(ln.eps(), 1e-5);
  EXPECT_EQ(ln.extra_repr(), "5, eps=1e-05, affine=true");
  LayerNorm plain(5, 1e-6, false);
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_FALSE(plain.weight().defined());
  EXPECT_THROW(LayerNorm(0), Error);
  EXPECT_THROW(LayerNorm(4, -1), Error);
}

TEST(LayerNormModule, NormalisesTheLastDim) {
  // One row by hand: [1, 2, 3, 4] has mean 2.5 and biased variance 1.25.
  LayerNorm ln(4, 0);
  ln.to(DType::f64);
  const auto v = ln.forward(from_vector(std::vector<double>{1, 2, 3, 4}, {1, 4}, DType::f64))
                     .to_vector<double>();
  const double s = std::sqrt(1.25);
  const std::vector<double> want = {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(v[i], want[i], 1e-12);
  // Random rows: mean 0 and variance 1 per row, then the affine part applies.
  LayerNorm ln2(16);
  const Tensor x = randn({3, 5, 16}) * 4.0 + 2.0;
  const Tensor z = ln2.forward(x);
  EXPECT_LT(testing::max_abs_diff(mean(z, {-1}), zeros({3, 5})), 1e-5);
  EXPECT_LT(testing::max_abs_diff(mean(square(z), {-1}), ones({3, 5})), 1e-3);
  fill_(ln2.weight(), 2);
  fill_(ln2.bias(), -1);
  EXPECT_LT(testing::max_abs_diff(ln2.forward(x), z * 2.0 - 1.0), 1e-5);
}

TEST(LayerNormModule, GradcheckFloat64) {
  for (bool affine : {true, false}) {
    LayerNorm ln(6, 1e-5, affine);
    ln.to(DType::f64);
    if (affine) {
      // Away from the initial ones and zeros, so every term of the gradient shows.
      Generator gen(3);
      view::copy_into(ln.weight(), rand({6}, 0.5, 1.5, DType::f64, gen));
      view::copy_into(ln.bias(), rand({6}, -1, 1, DType::f64, gen));
    }
    const Tensor x = testing::leaf64({2, 3, 6}, 4);
    EXPECT_MODULE_GRADCHECK(ln, [&] { return ln.forward(x); }, {x});
  }
}

}  // namespace
}  // namespace qkv::nn
