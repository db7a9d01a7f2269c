#pragma once
// The position-wise feed-forward block of a Transformer layer:
//   FFN(x) = linear2(dropout(act(linear1(x)))), d -> d_ff -> d.
// Children are named as in torch.nn.TransformerEncoderLayer (linear1, dropout,
// linear2), so the parameters are linear1.weight, ..., linear2.bias.

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace qkv::nn {

class FeedForward : public Module {
 public:
  // gen initialises the weights and, held by the dropout, draws its masks: it
  // must outlive the module.
  FeedForward(std::int64_t d, std::int64_t d_ff, Activation activation = Activation::relu,
              double dropout = 0, Generator& gen = default_generator());

  // x [.., d] -> [.., d]
  Tensor forward(const Tensor& x) const;

  std::string name() const override { return "FeedForward"; }
  std::string extra_repr() const override;

  const Linear& linear1() const { return *linear1_; }
  const Linear& linear2() const { return *linear2_; }
  const Dropout& dropout() const { return *dropout_; }

 private:
  Activation activation_;
  std::shared_ptr<Linear> linear1_;
  std::shared_ptr<Dropout> dropout_;
  std::shared_ptr<Linear> linear2_;
};

}  // namespace qkv::nn
