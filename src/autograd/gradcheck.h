#pragma once
// Finite-difference check of the gradients an op records. The function's
// output y is reduced to the scalar sum(y * r) with fixed random weights r;
// each input element is moved by +-eps and the central difference compared
// with the analytic gradient. Use float64 inputs for a tight check.

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qkv::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-4;
  std::uint64_t seed = 1234;
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;
  std::string message;  // the worst element, for the test's failure output
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks every floating input that requires a gradient.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          GradcheckOptions options = {});

}  // namespace qkv::autograd
