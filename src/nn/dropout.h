#pragma once
// Dropout, active only in training mode (Module::train), as torch.nn.Dropout.

#include <string>

#include "core/rng.h"
#include "nn/module.h"

namespace qkv::nn {

class Dropout : public Module {
 public:
  // Masks are drawn from gen, which is held by reference and must outlive the
  // module: one seeded generator per run gives reproducible training.
  explicit Dropout(double p, Generator& gen = default_generator());

  // Zeroes each element with probability p and scales the rest by 1 / (1 - p)
  // in training; the identity in eval mode.
  Tensor forward(const Tensor& x) const;

  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override;

  double p() const { return p_; }

 private:
  double p_;
  Generator& gen_;
};

}  // namespace qkv::nn
