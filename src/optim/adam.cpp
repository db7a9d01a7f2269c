#include "optim/adam.h"

#include <cmath>
#include <utility>

#include "core/creation.h"
#include "kernels/optim_update.h"

namespace qkv::optim {

Adam::Adam(std::vector<Tensor> params, const AdamOptions& o)
    : Adam(std::move(params), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, false, "Adam") {}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& o)
    : Adam(std::move(params), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, true, "AdamW") {}

Adam::Adam(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps,
           double weight_decay, bool decoupled, std::string name)
    : Optimizer(std::move(params), lr, std::move(name)),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled) {
  check(beta1 >= 0 && beta1 < 1, this->name(), ": invalid beta1 ", beta1,
        "; expected 0 <= beta1 < 1");
  check(beta2 >= 0 && beta2 < 1, this->name(), ": invalid beta2 ", beta2,
        "; expected 0 <= beta2 < 1");
  check(std::isfinite(eps) && eps >= 0, this->name(), ": invalid eps ", eps,
        "; expected a finite value >= 0");
  check(std::isfinite(weight_decay) && weight_decay >= 0, this->name(), ": invalid weight_decay ",
        weight_decay, "; expected a finite value >= 0");
}

std::vector<std::string> Adam::state_names() const { return {"exp_avg", "exp_avg_sq", "step"}; }

void Adam::update(std::size_t i, const Tensor& grad) {
  const Tensor& p = params()[i];
  auto& s = state(i);
  if (s.empty()) {
    s["exp_avg"] = zeros(p.shape(), p.dtype());
    s["exp_avg_sq"] = zeros(p.shape(), p.dtype());
    s["step"] = scalar_tensor(0, DType::i64);
  }
  std::int64_t& step = *s["step"].data<std::int64_t>();
  ++step;
  const kernels::AdamConfig config{.lr = lr(),
                                   .beta1 = beta1_,
                                   .beta2 = beta2_,
                                   .eps = eps_,
                                   .weight_decay = weight_decay_,
                                   .decoupled_weight_decay = decoupled_};
  dispatch_floating(p.dtype(), name().c_str(), [&]<class T>() {
    kernels::adam_update<T>(p.numel(), p.data<T>(), grad.data<T>(), s["exp_avg"].data<T>(),
                            s["exp_avg_sq"].data<T>(), config, step);
  });
}

}  // namespace qkv::optim
