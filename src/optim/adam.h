#pragma once
// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), with exactly
// the update of torch.optim.Adam / AdamW in PyTorch 1.13 (amsgrad off):
//   t += 1;  g' = g (+ weight_decay * p for Adam)   (AdamW: p *= 1 - lr * weight_decay)
//   m = beta1 m + (1 - beta1) g';  v = beta2 v + (1 - beta2) g'^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Each parameter counts its own t, so a parameter skipped for lack of a
// gradient keeps its bias correction where it was.

#include "optim/optimizer.h"

namespace qkv::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  // Adam: an L2 penalty added to the gradient.
  double weight_decay = 0;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  // AdamW: decoupled decay, applied to the parameter before the Adam step.
  double weight_decay = 0.01;
};

// State per parameter: "exp_avg" (m), "exp_avg_sq" (v), "step" (t).
class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});

 protected:
  Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
       double weight_decay, bool decoupled, std::string name);
  std::vector<std::string> state_names() const override;
  void update(std::size_t i, const Tensor& grad) override;

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
};

class AdamW : public Adam {
 public:
  explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
};

}  // namespace qkv::optim
