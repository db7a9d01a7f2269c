#include "nn/linear.h"

#include <cmath>

#include "core/creation.h"
#include "ops/linear.h"

namespace qkv::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool bias, Generator& gen)
    : in_(in_features), out_(out_features) {
  check(in_features > 0 && out_features > 0,
        "Linear: features must be positive, got in=", in_features, ", out=", out_features);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight_ = register_parameter("weight", rand({out_, in_}, -bound, bound, DType::f32, gen));
  if (bias) bias_ = register_parameter("bias", rand({out_}, -bound, bound, DType::f32, gen));
}

Tensor Linear::forward(const Tensor& x) const { return linear(x, weight_, bias_); }

std::string Linear::extra_repr() const {
  return "in=" + std::to_string(in_) + ", out=" + std::to_string(out_) +
         ", bias=" + (bias_.defined() ? "true" : "false");
}

}  // namespace qkv::nn
