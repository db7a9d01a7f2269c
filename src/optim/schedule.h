#pragma once
// Learning-rate schedules: lr(step) for step = 1, 2, ... (the step about to be
// taken), to be given to Optimizer::set_lr before each step().

#include <cstdint>

namespace qkv::optim {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  // Throws qkv::Error for step < 1.
  virtual double lr(std::int64_t step) const = 0;
};

class Constant final : public LrSchedule {
 public:
  explicit Constant(double lr);
  double lr(std::int64_t step) const override;

 private:
  double lr_;
};

// The Transformer paper's schedule (Vaswani et al. 2017, eq. 3):
//   lr = factor * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5),
// rising linearly for `warmup` steps to its peak factor / sqrt(d_model * warmup),
// then decaying as 1/sqrt(step).
class InverseSqrtWarmup final : public LrSchedule {
 public:
  InverseSqrtWarmup(std::int64_t d_model, std::int64_t warmup, double factor = 1);
  double lr(std::int64_t step) const override;

 private:
  double scale_;  // factor * d_model^-0.5
  double warmup_;
};

// Linear warm-up from 0 to peak_lr over `warmup` steps (peak at step ==
// warmup), then half a cosine from peak_lr down to min_lr at step == total,
// and min_lr after that.
class WarmupCosine final : public LrSchedule {
 public:
  WarmupCosine(double peak_lr, std::int64_t warmup, std::int64_t total, double min_lr = 0);
  double lr(std::int64_t step) const override;

 private:
  double peak_lr_, min_lr_;
  std::int64_t warmup_, total_;
};

}  // namespace qkv::optim
