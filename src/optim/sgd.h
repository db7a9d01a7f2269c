#pragma once
// Stochastic gradient descent with momentum, exactly torch.optim.SGD's rule
// (PyTorch 1.13):
//   d = g + weight_decay * p
//   b = d on the first step, then momentum * b + (1 - dampening) * d
//   d = d + momentum * b (nesterov) or b;   p -= lr * d
// Nesterov momentum follows Sutskever et al. 2013 as PyTorch formulates it.

#include "optim/optimizer.h"

namespace qkv::optim {

struct SgdOptions {
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  // Needs momentum > 0 and dampening == 0.
  bool nesterov = false;
};

// State per parameter, only with momentum: "momentum_buffer" (b).
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, const SgdOptions& options = {});

 protected:
  std::vector<std::string> state_names() const override;
  void update(std::size_t i, const Tensor& grad) override;

 private:
  SgdOptions options_;
};

}  // namespace qkv::optim
