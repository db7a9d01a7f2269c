#pragma once
// LayerNorm over the last dim, as torch.nn.LayerNorm(d).

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace qkv::nn {

class LayerNorm : public Module {
 public:
  // affine: a learned weight [d] (ones) and bias [d] (zeros).
  explicit LayerNorm(std::int64_t d, double eps = 1e-5, bool affine = true);

  // x [.., d] -> [.., d]
  Tensor forward(const Tensor& x) const;

  std::string name() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  std::int64_t dim() const { return d_; }
  double eps() const { return eps_; }
  // Undefined without affine.
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }

 private:
  std::int64_t d_;
  double eps_;
  Tensor weight_, bias_;
};

}  // namespace qkv::nn
