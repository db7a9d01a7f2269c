#include "optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace qkv::optim {

namespace {

void check_step(std::int64_t step, const char* schedule) {
  check(step >= 1, schedule, ": step ", step, " is invalid; steps are counted from 1");
}

}  // namespace

Constant::Constant(double lr) : lr_(lr) {
  check(std::isfinite(lr) && lr >= 0, "Constant schedule: invalid learning rate ", lr,
        "; expected a finite value >= 0");
}

double Constant::lr(std::int64_t step) const {
  check_step(step, "Constant schedule");
  return lr_;
}

InverseSqrtWarmup::InverseSqrtWarmup(std::int64_t d_model, std::int64_t warmup, double factor) {
  check(d_model >= 1, "InverseSqrtWarmup: d_model ", d_model, " is invalid; expected >= 1");
  check(warmup >= 1, "InverseSqrtWarmup: warmup ", warmup, " is invalid; expected >= 1 step");
  check(std::isfinite(factor) && factor > 0, "InverseSqrtWarmup: factor ", factor,
        " is invalid; expected a finite value > 0");
  scale_ = factor / std::sqrt(static_cast<double>(d_model));
  warmup_ = static_cast<double>(warmup);
}

double InverseSqrtWarmup::lr(std::int64_t step) const {
  check_step(step, "InverseSqrtWarmup");
  const auto s = static_cast<double>(step);
  return scale_ * std::min(1 / std::sqrt(s), s / (warmup_ * std::sqrt(warmup_)));
}

WarmupCosine::WarmupCosine(double peak_lr, std::int64_t warmup, std::int64_t total, double min_lr)
    : peak_lr_(peak_lr), min_lr_(min_lr), warmup_(warmup), total_(total) {
  check(std::isfinite(peak_lr) && peak_lr > 0, "WarmupCosine: peak_lr ", peak_lr,
        " is invalid; expected a finite value > 0");
  check(std::isfinite(min_lr) && min_lr >= 0 && min_lr <= peak_lr, "WarmupCosine: min_lr ", min_lr,
        " is invalid; expected 0 <= min_lr <= peak_lr (", peak_lr, ")");
  check(warmup >= 1, "WarmupCosine: warmup ", warmup, " is invalid; expected >= 1 step");
  check(total >= warmup, "WarmupCosine: total ", total, " is less than warmup ", warmup);
}

double WarmupCosine::lr(std::int64_t step) const {
  check_step(step, "WarmupCosine");
  if (step <= warmup_) return peak_lr_ * static_cast<double>(step) / static_cast<double>(warmup_);
  if (step >= total_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_) / static_cast<double>(total_ - warmup_);
  return min_lr_ + 0.5 * (peak_lr_ - min_lr_) * (1 + std::cos(std::numbers::pi * progress));
}

}  // namespace qkv::optim
