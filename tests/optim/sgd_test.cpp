#include "optim/sgd.h"

#include <gtest/gtest.h>

#include "optim/optim_testing.h"

namespace qkv {
namespace {

using optim::SGD;
using optim::SgdOptions;
using testing::expect_error;
using testing::trajectory;

// Every case: p starts at 1, lr = 0.1, gradients 0.5, -1, 0.25 on steps 1-3.
const std::vector<double> kGrads{0.5, -1.0, 0.25};

void expect_path(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-12) << "after step " << i + 1;
}

TEST(Sgd, PlainStepsAreMinusLrTimesGradient) {
  // p1 = 1 - 0.1 * 0.5 = 0.95;  p2 = 0.95 + 0.1 = 1.05;  p3 = 1.05 - 0.025 = 1.025
  auto make = [](std::vector<Tensor> ps) { return std::make_unique<SGD>(std::move(ps), 0.1); };
  expect_path(trajectory(make, kGrads), {0.95, 1.05, 1.025});
}

TEST(Sgd, MomentumBufferStartsAtTheGradient) {
  // momentum 0.9: b1 = 0.5 (no decay on the first step), p1 = 0.95
  //   b2 = 0.9 * 0.5 - 1 = -0.55,     p2 = 0.95 + 0.055 = 1.005
  //   b3 = 0.9 * -0.55 + 0.25 = -0.245, p3 = 1.005 + 0.0245 = 1.0295
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(std::move(ps), 0.1, SgdOptions{.momentum = 0.9});
  };
  expect_path(trajectory(make, kGrads), {0.95, 1.005, 1.0295});
}

TEST(Sgd, DampeningScalesNewGradientsAfterTheFirstStep) {
  // momentum 0.9, dampening 0.5: b1 = 0.5 (undamped), p1 = 0.95
  //   b2 = 0.45 - 0.5 * 1 = -0.05,      p2 = 0.955
  //   b3 = -0.045 + 0.5 * 0.25 = 0.08,  p3 = 0.947
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(std::move(ps), 0.1, SgdOptions{.momentum = 0.9, .dampening = 0.5});
  };
  expect_path(trajectory(make, kGrads), {0.95, 0.955, 0.947});
}

TEST(Sgd, NesterovLooksAheadAlongTheBuffer) {
  // d = g + 0.9 b: b1 = 0.5,    d1 = 0.5 + 0.45 = 0.95,      p1 = 0.905
  //               b2 = -0.55,  d2 = -1 - 0.495 = -1.495,    p2 = 1.0545
  //               b3 = -0.245, d3 = 0.25 - 0.2205 = 0.0295, p3 = 1.05155
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(std::move(ps), 0.1, SgdOptions{.momentum = 0.9, .nesterov = true});
  };
  expect_path(trajectory(make, kGrads), {0.905, 1.0545, 1.05155});
}

TEST(Sgd, WeightDecayAddsL2Gradient) {
  // d = g + 0.1 p: d1 = 0.6,                  p1 = 0.94
  //                d2 = -1 + 0.094 = -0.906,  p2 = 1.0306
  //                d3 = 0.25 + 0.10306,       p3 = 1.0306 - 0.035306 = 0.995294
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(std::move(ps), 0.1, SgdOptions{.weight_decay = 0.1});
  };
  expect_path(trajectory(make, kGrads), {0.94, 1.0306, 0.995294});
}

TEST(Sgd, Float32ParametersFollowTheSameRule) {
  Tensor p = from_vector(std::vector<float>{1, -2}, {2});
  p.set_requires_grad(true);
  SGD opt({p}, 0.1, {.momentum = 0.9});
  p.set_grad(from_vector(std::vector<float>{0.5, 1}, {2}));
  opt.step();
  opt.step();  // same gradient: b2 = 0.9 g + g = 1.9 g
  // p = p0 - 0.1 g - 0.19 g = p0 - 0.29 g
  EXPECT_NEAR(p.to_vector<float>()[0], 1 - 0.29 * 0.5, 1e-6);
  EXPECT_NEAR(p.to_vector<float>()[1], -2 - 0.29, 1e-6);
}

TEST(Sgd, RejectsInvalidHyperParameters) {
  Tensor p = zeros({2});
  p.set_requires_grad(true);
  expect_error([&] { SGD({p}, -0.1); }, "SGD: invalid learning rate -0.1");
  expect_error([&] { SGD({p}, 0.1, {.momentum = -1}); }, "invalid momentum -1");
  expect_error([&] { SGD({p}, 0.1, {.weight_decay = -1}); }, "invalid weight_decay -1");
  expect_error([&] { SGD({p}, 0.1, {.nesterov = true}); }, "Nesterov momentum needs momentum > 0");
  expect_error([&] { SGD({p}, 0.1, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
               "and dampening 0.1");
}

}  // namespace
}  // namespace qkv
