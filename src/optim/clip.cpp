#include "optim/clip.h"

#include <cmath>

#include "kernels/elementwise.h"
#include "kernels/optim_update.h"

namespace qkv::optim {

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  check(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm: max_norm ", max_norm,
        " is invalid; expected a finite value > 0");
  std::vector<Tensor> grads;
  double sum_sq = 0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    // Gradients are written in place, so a strided one cannot be replaced by a copy.
    check(g.is_contiguous(), "clip_grad_norm: gradient of shape ", g.shape(),
          " is not contiguous (strides ", g.strides(), ")");
    dispatch_floating(g.dtype(), "clip_grad_norm", [&]<class T>() {
      sum_sq += kernels::sum_squares<T>(g.numel(), g.data<T>());
    });
    grads.push_back(g);
  }
  const double norm = std::sqrt(sum_sq);
  check(!std::isnan(norm), "clip_grad_norm: gradient norm is NaN; training must stop");
  check(!std::isinf(norm), "clip_grad_norm: gradient norm is infinite; training must stop");
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1) {
    for (const Tensor& g : grads)
      dispatch_floating(g.dtype(), "clip_grad_norm", [&]<class T>() {
        kernels::affine<T>(g.numel(), g.data<T>(), static_cast<T>(coef), T(0), g.data<T>());
      });
  }
  return norm;
}

}  // namespace qkv::optim
