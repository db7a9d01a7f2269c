#include "optim/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "optim/optim_testing.h"

namespace qkv {
namespace {

using namespace optim;
using testing::expect_error;

TEST(Schedule, InverseSqrtWarmupPeaksAtWarmup) {
  // d = 512, warmup = 4000 (the paper's base model):
  //   step 4000:  512^-0.5 * 4000^-0.5 = 1 / sqrt(2048000) = 6.98771243e-4 (the peak)
  //   step 1:     512^-0.5 * 1 * 4000^-1.5 = 1.74692811e-7
  //   step 2000:  half way up the linear ramp = peak / 2
  //   step 16000: 512^-0.5 * 16000^-0.5 = peak / 2 (decay as 1 / sqrt(step))
  const InverseSqrtWarmup s(512, 4000);
  const double peak = 1 / std::sqrt(2048000.0);
  EXPECT_NEAR(s.lr(4000), peak, 1e-18);
  EXPECT_NEAR(s.lr(1), 1.746928107421711e-07, 1e-20);
  EXPECT_NEAR(s.lr(2000), peak / 2, 1e-18);
  EXPECT_NEAR(s.lr(16000), peak / 2, 1e-18);
  EXPECT_LT(s.lr(3999), s.lr(4000));
  EXPECT_LT(s.lr(4001), s.lr(4000));
  // factor scales the whole curve.
  EXPECT_NEAR(InverseSqrtWarmup(512, 4000, 2.0).lr(4000), 2 * peak, 1e-18);
}

TEST(Schedule, WarmupCosineRampsThenDecaysToMin) {
  // peak 1e-3 after 10 warm-up steps, cosine to 1e-5 at step 110.
  const WarmupCosine s(1e-3, 10, 110, 1e-5);
  EXPECT_NEAR(s.lr(1), 1e-4, 1e-18);   // 1e-3 * 1 / 10
  EXPECT_NEAR(s.lr(5), 5e-4, 1e-18);   // 1e-3 * 5 / 10
  EXPECT_NEAR(s.lr(10), 1e-3, 1e-18);  // the peak
  // Half way through the decay (step 60) cos(pi / 2) = 0: the mean of peak and min.
  EXPECT_NEAR(s.lr(60), 0.5 * (1e-3 + 1e-5), 1e-15);
  // A quarter of the way (step 35): min + (peak - min) * (1 + cos(pi / 4)) / 2.
  EXPECT_NEAR(s.lr(35), 1e-5 + 0.99e-3 * (1 + std::sqrt(0.5)) / 2, 1e-15);
  EXPECT_NEAR(s.lr(110), 1e-5, 1e-18);  // decay end
  EXPECT_EQ(s.lr(111), 1e-5);           // constant after
  EXPECT_EQ(s.lr(100000), 1e-5);
  // Without a decay phase the peak is followed directly by min_lr.
  const WarmupCosine flat(1e-3, 10, 10);
  EXPECT_NEAR(flat.lr(10), 1e-3, 1e-18);
  EXPECT_EQ(flat.lr(11), 0.0);
}

TEST(Schedule, ConstantIsConstant) {
  const Constant s(3e-4);
  EXPECT_EQ(s.lr(1), 3e-4);
  EXPECT_EQ(s.lr(123456), 3e-4);
  const LrSchedule& base = s;  // usable through the interface
  EXPECT_EQ(base.lr(7), 3e-4);
}

TEST(Schedule, RejectsInvalidParametersAndSteps) {
  expect_error([] { InverseSqrtWarmup(512, 0); }, "InverseSqrtWarmup: warmup 0 is invalid");
  expect_error([] { InverseSqrtWarmup(0, 4000); }, "d_model 0 is invalid");
  expect_error([] { InverseSqrtWarmup(512, 4000, -1); }, "factor -1 is invalid");
  expect_error([] { WarmupCosine(1e-3, 0, 100); }, "WarmupCosine: warmup 0 is invalid");
  expect_error([] { WarmupCosine(1e-3, 100, 50); }, "total 50 is less than warmup 100");
  expect_error([] { WarmupCosine(0, 10, 100); }, "peak_lr 0 is invalid");
  expect_error([] { WarmupCosine(1e-3, 10, 100, 2e-3); }, "min_lr 0.002 is invalid");
  expect_error([] { Constant(-1); }, "invalid learning rate -1");
  expect_error([] { (void)Constant(1e-3).lr(0); }, "step 0 is invalid; steps are counted from 1");
  expect_error([] { (void)InverseSqrtWarmup(512, 10).lr(-3); }, "step -3 is invalid");
  expect_error([] { (void)WarmupCosine(1e-3, 10, 100).lr(0); }, "step 0 is invalid");
}

}  // namespace
}  // namespace qkv
