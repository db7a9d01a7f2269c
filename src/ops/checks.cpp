#include "ops/checks.h"

namespace qkv::detail {

void require_floating(const Tensor& x, const char* op, const char* arg) {
  check(x.defined(), op, ": ", arg, " is undefined");
  check(x.dtype() == DType::f32 || x.dtype() == DType::f64, op, ": ", arg,
        " must be float32 or float64, got ", dtype_name(x.dtype()));
}

void require_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  check(a.dtype() == b.dtype(), op, ": dtypes differ (", dtype_name(a.dtype()), " and ",
        dtype_name(b.dtype()), ")");
}

}  // namespace qkv::detail
