#include "nn/layer_norm.h"

#include <sstream>

#include "core/creation.h"
#include "ops/layer_norm.h"

namespace qkv::nn {

LayerNorm::LayerNorm(std::int64_t d, double eps, bool affine) : d_(d), eps_(eps) {
  check(d > 0, "LayerNorm: width must be positive, got ", d);
  check(eps >= 0, "LayerNorm: eps must not be negative, got ", eps);
  if (affine) {
    weight_ = register_parameter("weight", ones({d}));
    bias_ = register_parameter("bias", zeros({d}));
  }
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, weight_, bias_, eps_); }

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << d_ << ", eps=" << eps_ << ", affine=" << (weight_.defined() ? "true" : "false");
  return os.str();
}

}  // namespace qkv::nn
