#include "ops/linear.h"

#include "ops/arith.h"
#include "ops/matmul.h"
#include "ops/shape.h"

namespace qkv {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check(weight.dim() == 2, "linear: weight must be [out, in], got ", weight.shape());
  check(x.dim() >= 1 && x.shape().back() == weight.shape()[1], "linear: input ", x.shape(),
        " does not end in the weight's in-features ", weight.shape()[1]);
  Tensor y = matmul(x, transpose(weight, 0, 1));
  if (!bias.defined()) return y;
  check(bias.shape() == Shape{weight.shape()[0]}, "linear: bias ", bias.shape(),
        " does not match out-features ", weight.shape()[0]);
  return add(y, bias);
}

}  // namespace qkv
