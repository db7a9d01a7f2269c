#include "optim/sgd.h"

#include <cmath>
#include <utility>

#include "kernels/optim_update.h"

namespace qkv::optim {

SGD::SGD(std::vector<Tensor> params, double lr, const SgdOptions& options)
    : Optimizer(std::move(params), lr, "SGD"), options_(options) {
  check(std::isfinite(options.momentum) && options.momentum >= 0, "SGD: invalid momentum ",
        options.momentum, "; expected a finite value >= 0");
  check(std::isfinite(options.dampening), "SGD: invalid dampening ", options.dampening,
        "; expected a finite value");
  check(std::isfinite(options.weight_decay) && options.weight_decay >= 0,
        "SGD: invalid weight_decay ", options.weight_decay, "; expected a finite value >= 0");
  check(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
        "SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum ",
        options.momentum, " and dampening ", options.dampening);
}

std::vector<std::string> SGD::state_names() const {
  if (options_.momentum == 0) return {};
  return {"momentum_buffer"};
}

void SGD::update(std::size_t i, const Tensor& grad) {
  const Tensor& p = params()[i];
  Tensor buffer;
  bool first_step = false;
  if (options_.momentum != 0) {
    auto& s = state(i);
    first_step = s.empty();
    if (first_step) s["momentum_buffer"] = Tensor::empty(p.shape(), p.dtype());
    buffer = s["momentum_buffer"];
  }
  const kernels::SgdConfig config{.lr = lr(),
                                  .momentum = options_.momentum,
                                  .dampening = options_.dampening,
                                  .weight_decay = options_.weight_decay,
                                  .nesterov = options_.nesterov};
  dispatch_floating(p.dtype(), "SGD", [&]<class T>() {
    kernels::sgd_update<T>(p.numel(), p.data<T>(), grad.data<T>(),
                           buffer.defined() ? buffer.data<T>() : nullptr, config, first_step);
  });
}

}  // namespace qkv::optim
