#include "ops/activation.h"

#include "ops/unary.h"

namespace qkv {

Tensor relu(const Tensor& x) { return detail::unary_op("relu", kernels::Unary::relu, x, true); }

Tensor gelu(const Tensor& x, bool tanh_approximation) {
  return tanh_approximation ? detail::unary_op("gelu", kernels::Unary::gelu_tanh, x, true)
                            : detail::unary_op("gelu", kernels::Unary::gelu, x, true);
}

Tensor tanh(const Tensor& x) { return detail::unary_op("tanh", kernels::Unary::tanh, x, false); }

Tensor sigmoid(const Tensor& x) {
  return detail::unary_op("sigmoid", kernels::Unary::sigmoid, x, false);
}

}  // namespace qkv
