#include "optim/clip.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/creation.h"
#include "optim/optim_testing.h"

namespace qkv {
namespace {

using optim::clip_grad_norm;
using testing::expect_error;

// Parameters whose gradients are [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13.
std::vector<Tensor> params_with_grads(DType dtype = DType::f32) {
  Tensor a = zeros({2}, dtype), b = zeros({1}, dtype), c = zeros({3}, dtype);
  for (const Tensor& p : {a, b, c}) p.set_requires_grad(true);
  a.set_grad(from_vector(std::vector<double>{3, 4}, {2}, dtype));
  b.set_grad(from_vector(std::vector<double>{12}, {1}, dtype));
  return {a, b, c};  // c has no gradient and is skipped
}

TEST(ClipGradNorm, ReturnsTheNormAndLeavesSmallGradientsAlone) {
  auto ps = params_with_grads();
  EXPECT_DOUBLE_EQ(clip_grad_norm(ps, 26), 13.0);
  EXPECT_EQ(ps[0].grad().to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(ps[1].grad().to_vector<float>(), (std::vector<float>{12}));
  EXPECT_FALSE(ps[2].grad().defined());
}

TEST(ClipGradNorm, ScalesLargeGradientsToMaxNorm) {
  // coefficient 6.5 / (13 + 1e-6) ~= 0.5: [3, 4] -> [1.5, 2], [12] -> [6].
  auto ps = params_with_grads(DType::f64);
  EXPECT_DOUBLE_EQ(clip_grad_norm(ps, 6.5), 13.0);
  const double coef = 6.5 / (13 + 1e-6);
  EXPECT_NEAR(ps[0].grad().to_vector<double>()[0], 3 * coef, 1e-15);
  EXPECT_NEAR(ps[0].grad().to_vector<double>()[1], 4 * coef, 1e-15);
  EXPECT_NEAR(ps[1].grad().to_vector<double>()[0], 12 * coef, 1e-15);
  // Clipping again finds the norm at max_norm less the 1e-6 guard; the gradients
  // then change only by that guard's relative size (PyTorch's rule does the same).
  EXPECT_NEAR(clip_grad_norm(ps, 6.5), 6.5, 1e-6);
  EXPECT_NEAR(ps[1].grad().to_vector<double>()[0], 12 * coef, 1e-6);
}

TEST(ClipGradNorm, NonFiniteNormThrowsAndLeavesGradients) {
  auto ps = params_with_grads();
  ps[2].set_grad(from_vector(std::vector<float>{1, NAN, 2}, {3}));
  expect_error([&] { clip_grad_norm(ps, 1); }, "gradient norm is NaN");
  EXPECT_EQ(ps[0].grad().to_vector<float>(), (std::vector<float>{3, 4}));
  ps[2].set_grad(from_vector(std::vector<float>{1, INFINITY, 2}, {3}));
  expect_error([&] { clip_grad_norm(ps, 1); }, "gradient norm is infinite");
}

TEST(ClipGradNorm, NoGradientsGivesZero) {
  Tensor p = zeros({4});
  p.set_requires_grad(true);
  EXPECT_EQ(clip_grad_norm({p}, 1), 0.0);
}

TEST(ClipGradNorm, RejectsBadMaxNorm) {
  auto ps = params_with_grads();
  expect_error([&] { clip_grad_norm(ps, 0); }, "max_norm 0 is invalid");
  expect_error([&] { clip_grad_norm(ps, -1); }, "max_norm -1 is invalid");
}

TEST(ClipGradNorm, LargeGradientsAccumulateInDouble) {
  // 40000 (past the parallel threshold) float32 elements x: norm = sqrt(40000) * x = 200 x.
  const float x = 1e-3f;
  Tensor p = zeros({40000});
  p.set_requires_grad(true);
  p.set_grad(full({40000}, x));
  EXPECT_NEAR(clip_grad_norm({p}, 1), 200 * static_cast<double>(x), 1e-12);
}

}  // namespace
}  // namespace qkv
