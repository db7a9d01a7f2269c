#pragma once
// The position-wise feed-forward block of a Transformer layer:
//   FFN(x) = linear2(act(linear1(x))), d -> d_ff -> d.
// Parameter names follow torch.nn.TransformerEncoderLayer (linear1.weight, ...).

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace qkv::nn {

class FeedForward : public Module {
 public:
  FeedForward(std::int64_t d, std::int64_t d_ff, Activation activation = Activation::relu,
              Generator& gen = default_generator());

  // x [.., d] -> [.., d]
  Tensor forward(const Tensor& x) const;

  std::string name() const override { return "FeedForward"; }
  std::string extra_repr() const override;

  const Linear& linear1() const { return *linear1_; }
  const Linear& linear2() const { return *linear2_; }

 private:
  Activation activation_;
  std::shared_ptr<Linear> linear1_, linear2_;
};

}  // namespace qkv::nn
