#include "train/training_state.h"

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "harness/tensor_testing.h"
#include "io/checkpoint.h"
#include "nn/linear.h"
#include "ops/reduce.h"

namespace qkv::train {
namespace {

// A checkpoint restores weights, optimizer moments, generator and position, so
// the next step from it equals the next step of the run that wrote it.
TEST(TrainingState, RoundTripContinuesExactly) {
  const auto path = std::filesystem::temp_directory_path() / "qkv_training_state.safetensors";
  Generator gen(4);
  nn::Linear a(3, 2, true, gen);
  OptimizerSettings s{.optimizer = "adamw", .lr = 0.01, .weight_decay = 0.1};
  auto opt = make_optimizer(s, a.parameters());
  const Tensor x = randn({5, 3}, DType::f32, gen);
  auto step = [&](nn::Linear& m, optim::Optimizer& o) {
    o.zero_grad();
    autograd::backward(sum(m.forward(x)));
    o.step();
  };
  step(a, *opt);
  save_training_state(path, a, *opt, gen, {.step = 1, .epoch = 2, .batch = 3, .best = 0.5}, "{}");
  step(a, *opt);

  Generator gen2(99);
  nn::Linear b(3, 2, true, gen2);
  auto opt2 = make_optimizer(s, b.parameters());
  const SafetensorsFile f = load_checkpoint(path);
  EXPECT_EQ(saved_config(f, path), "{}");
  const TrainingPosition pos = load_training_state(f, path, b, *opt2, gen2);
  EXPECT_EQ(pos.step, 1);
  EXPECT_EQ(pos.epoch, 2);
  EXPECT_EQ(pos.batch, 3);
  EXPECT_EQ(pos.best, 0.5);
  EXPECT_EQ(gen2.seed(), gen.seed());
  step(b, *opt2);
  EXPECT_EQ(testing::max_abs_diff(a.weight(), b.weight()), 0);
  EXPECT_EQ(testing::max_abs_diff(a.bias(), b.bias()), 0);
}

TEST(TrainingState, SchedulesPeakAtTheirLearningRate) {
  OptimizerSettings s{.lr = 2e-3, .warmup = 10, .d_model = 64};
  for (const char* name : {"cosine", "inverse_sqrt", "constant"}) {
    s.schedule = name;
    const auto lr = make_schedule(s, 100);
    double peak = 0;
    for (int t = 1; t <= 100; ++t) peak = std::max(peak, lr->lr(t));
    EXPECT_NEAR(peak, 2e-3, 1e-12) << name;
  }
  s.schedule = "step";
  EXPECT_THROW(make_schedule(s, 100), Error);
  s.optimizer = "sgd";
  EXPECT_THROW(make_optimizer(s, {}), Error);
}

}  // namespace
}  // namespace qkv::train
