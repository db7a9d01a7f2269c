#include "optim/adam.h"

#include <gtest/gtest.h>

#include "optim/optim_testing.h"

namespace qkv {
namespace {

using optim::Adam;
using optim::AdamW;
using testing::expect_error;
using testing::trajectory;

// Every case: p starts at 1, lr = 0.1, betas (0.9, 0.999), eps 1e-8,
// gradients 0.5, -1, 0.25 on steps 1-3. With bias correction
//   m_hat = m / (1 - 0.9^t), v_hat = v / (1 - 0.999^t), p -= 0.1 m_hat / (sqrt(v_hat) + eps).
const std::vector<double> kGrads{0.5, -1.0, 0.25};

void expect_path(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-12) << "after step " << i + 1;
}

TEST(Adam, ThreeStepsWithBiasCorrection) {
  // t=1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025
  //      m_hat = 0.05 / 0.1 = 0.5, sqrt(v_hat) = sqrt(0.00025 / 0.001) = 0.5
  //      p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.900000002
  // t=2: m = 0.045 - 0.1 = -0.055, v = 0.999 * 0.00025 + 0.001 * 1 = 0.00124975
  //      m_hat = -0.055 / 0.19 = -0.289473684, sqrt(v_hat) = sqrt(0.00124975 / 0.001999) =
  //      0.790688051 p2 = p1 + 0.1 * 0.289473684 / 0.790688051 = 0.936610354
  // t=3: m = -0.0495 + 0.025 = -0.0245, v = 0.999 * 0.00124975 + 0.001 * 0.0625 = 0.00131100025
  //      m_hat = -0.0245 / 0.271 = -0.090405904, sqrt(v_hat) = sqrt(v / 0.002997001) = 0.661390486
  //      p3 = p2 + 0.1 * 0.090405904 / 0.661390486 = 0.950279420
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<Adam>(std::move(ps), optim::AdamOptions{.lr = 0.1});
  };
  expect_path(trajectory(make, kGrads), {0.900000002, 0.9366103542405654, 0.9502794203389762});
}

TEST(Adam, WeightDecayIsAddedToTheGradient) {
  // weight_decay 0.1: g' = g + 0.1 p.
  // t=1: g' = 0.6; m_hat = 0.6, sqrt(v_hat) = 0.6; p1 = 1 - 0.1 * 0.6 / (0.6 + 1e-8) = 0.9000000017
  // t=2: g' = -1 + 0.09 = -0.91; m = 0.054 - 0.091 = -0.037, v = 0.999 * 0.00036 + 0.001 * 0.8281
  //      = 0.00118774; m_hat = -0.194736842, sqrt(v_hat) = 0.770822342; p2 = 0.925263519
  // t=3: g' = 0.25 + 0.0925263519 = 0.342526352; m = -0.0333 + 0.0342526 = 0.000952635,
  //      v = 0.00130387656; m_hat = 0.003515259, sqrt(v_hat) = 0.659591113; p3 = 0.924730574
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<Adam>(std::move(ps),
                                  optim::AdamOptions{.lr = 0.1, .weight_decay = 0.1});
  };
  expect_path(trajectory(make, kGrads),
              {0.9000000016666666, 0.9252635194456061, 0.9247305742687093});
}

TEST(AdamW, DecayIsAppliedToTheParameterBeforeTheStep) {
  // weight_decay 0.1: p *= 1 - 0.1 * 0.1 = 0.99 first; the moments are Adam's
  // (same m_hat, v_hat as ThreeStepsWithBiasCorrection):
  // t=1: p1 = 0.99 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.890000002
  // t=2: p2 = 0.99 p1 + 0.1 * 0.289473684 / 0.790688051 = 0.881100002 + 0.036610352 = 0.917710354
  // t=3: p3 = 0.99 p2 + 0.1 * 0.090405904 / 0.661390486 = 0.908533251 + 0.013669066 = 0.922202317
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<AdamW>(std::move(ps),
                                   optim::AdamWOptions{.lr = 0.1, .weight_decay = 0.1});
  };
  expect_path(trajectory(make, kGrads), {0.890000002, 0.9177103542205653, 0.9222023167767704});
}

TEST(AdamW, DefaultWeightDecayIsOneHundredth) {
  // p1 = (1 - 0.1 * 0.01) * 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.999 - 0.099999998 = 0.899000002
  auto make = [](std::vector<Tensor> ps) {
    return std::make_unique<AdamW>(std::move(ps), optim::AdamWOptions{.lr = 0.1});
  };
  expect_path(trajectory(make, {0.5}), {0.899000002});
}

TEST(Adam, ParametersWithoutGradientKeepTheirOwnStepCount) {
  Tensor a = from_vector(std::vector<double>{1}, {1}, DType::f64);
  Tensor b = from_vector(std::vector<double>{1}, {1}, DType::f64);
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  Adam opt({a, b}, {.lr = 0.1});
  a.set_grad(from_vector(std::vector<double>{0.5}, {1}, DType::f64));
  opt.step();  // b has no gradient: untouched, no state
  EXPECT_EQ(b.item<double>(), 1.0);
  EXPECT_EQ(opt.state_dict().count("state.1.step"), 0u);
  b.set_grad(from_vector(std::vector<double>{0.5}, {1}, DType::f64));
  opt.step();
  // b's first update uses t = 1: the same step a took first (0.900000002).
  EXPECT_NEAR(b.item<double>(), 0.900000002, 1e-12);
  EXPECT_EQ(opt.state_dict().at("state.0.step").item<std::int64_t>(), 2);
  EXPECT_EQ(opt.state_dict().at("state.1.step").item<std::int64_t>(), 1);
  EXPECT_EQ(opt.step_count(), 2);
}

TEST(Adam, Float32MatchesFloat64Closely) {
  Tensor p32 = from_vector(std::vector<float>{1, -0.5, 2}, {3});
  Tensor p64 = from_vector(std::vector<double>{1, -0.5, 2}, {3}, DType::f64);
  p32.set_requires_grad(true);
  p64.set_requires_grad(true);
  AdamW o32({p32}, {.lr = 0.01});
  AdamW o64({p64}, {.lr = 0.01});
  for (int s = 0; s < 5; ++s) {
    const std::vector<double> g{0.3 - s * 0.1, 1.5, -0.02 * s};
    p32.set_grad(from_vector(g, {3}, DType::f32));
    p64.set_grad(from_vector(g, {3}, DType::f64));
    o32.step();
    o64.step();
  }
  const auto a = p32.to_vector<double>(), b = p64.to_vector<double>();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

TEST(Adam, RejectsInvalidHyperParameters) {
  Tensor p = zeros({2});
  p.set_requires_grad(true);
  expect_error([&] { Adam({p}, {.lr = -1}); }, "Adam: invalid learning rate -1");
  expect_error([&] { Adam({p}, {.beta1 = 1}); }, "invalid beta1 1; expected 0 <= beta1 < 1");
  expect_error([&] { Adam({p}, {.beta2 = -0.1}); }, "invalid beta2 -0.1");
  expect_error([&] { Adam({p}, {.eps = -1}); }, "invalid eps -1");
  expect_error([&] { AdamW({p}, {.weight_decay = -0.01}); }, "AdamW: invalid weight_decay");
}

}  // namespace
}  // namespace qkv
