#include "ops/linear.h"

#include "ops/arith.h"
#include "ops/matmul.h"
#include "ops/shape.h"

namespace qkv {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check(weight.dim() == 2, "linear: weight must be [out, in], got ", weight.shape());
  check(x.dim() >= 1 && x.shape().back() == weight.shape()[1], "linear: input ", x.shape(),
        " does not end in the in-features of weight ", weight.shape());
  check(!bias.defined() || bias.shape() == Shape{weight.shape()[0]}, "linear: bias ",
        bias.defined() ? bias.shape() : Shape{}, " does not match the out-features of weight ",
        weight.shape());
  const Tensor y = matmul(x, transpose(weight, 0, 1));
  return bias.defined() ? add(y, bias) : y;
}

}  // namespace qkv
