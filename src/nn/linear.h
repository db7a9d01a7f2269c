#pragma once
// Linear: y = x W^T + b, as torch.nn.Linear.

#include <cstdint>
#include <string>

#include "core/rng.h"
#include "nn/module.h"

namespace qkv::nn {

class Linear : public Module {
 public:
  // weight [out, in] and bias [out], both U(-1/sqrt(in), 1/sqrt(in)) as PyTorch
  // initialises them (its kaiming_uniform with a = sqrt(5) gives that bound).
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true,
         Generator& gen = default_generator());

  // x [.., in] -> [.., out]
  Tensor forward(const Tensor& x) const;

  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override;

  std::int64_t in_features() const { return in_; }
  std::int64_t out_features() const { return out_; }
  const Tensor& weight() const { return weight_; }
  // Undefined when built without bias.
  const Tensor& bias() const { return bias_; }

 private:
  std::int64_t in_, out_;
  Tensor weight_, bias_;
};

}  // namespace qkv::nn
