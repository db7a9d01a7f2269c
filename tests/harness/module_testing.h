#pragma once
// Finite-difference check of a whole module: the gradients that one backward
// pass leaves in every parameter (and in extra leaf inputs) are compared with
// central differences taken by perturbing those tensors in place. Convert the
// module to float64 first (Module::to) for a tight check.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "core/creation.h"
#include "nn/module.h"

namespace qkv::testing {

// forward() runs the module on fixed inputs; `inputs` are dense float64 leaves
// it reads that should be checked too.
inline autograd::GradcheckResult module_gradcheck(nn::Module& module,
                                                  const std::function<Tensor()>& forward,
                                                  const std::vector<Tensor>& inputs = {},
                                                  autograd::GradcheckOptions options = {}) {
  std::vector<std::pair<std::string, Tensor>> checked = module.named_parameters();
  for (std::size_t i = 0; i < inputs.size(); ++i)
    checked.emplace_back("input " + std::to_string(i), inputs[i]);
  module.zero_grad();
  for (const auto& [name, t] : checked) t.set_grad(Tensor());

  const Tensor y = forward();
  Generator gen(options.seed);
  const Tensor r = randn(y.shape(), y.dtype(), gen);
  const std::vector<double> rv = r.to_vector<double>();
  autograd::backward(y, r);
  auto objective = [&] {
    const std::vector<double> v = forward().to_vector<double>();
    double s = 0;
    for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * rv[i];
    return s;
  };

  autograd::GradcheckResult result;
  autograd::NoGradGuard no_grad;
  for (const auto& [name, t] : checked) {
    EXPECT_TRUE(t.is_contiguous() && t.dtype() == DType::f64) << name << " must be dense float64";
    const Tensor g = t.grad();
    if (!g.defined()) {
      result.ok = false;
      result.message = name + " got no gradient";
      return result;
    }
    const std::vector<double> analytic = g.to_vector<double>();
    double* p = t.data<double>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const double orig = p[i];
      p[i] = orig + options.eps;
      const double fp = objective();
      p[i] = orig - options.eps;
      const double fm = objective();
      p[i] = orig;
      const double numeric = (fp - fm) / (2 * options.eps);
      const double err = std::abs(numeric - analytic[i]);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (err > options.atol + options.rtol * std::abs(numeric) && result.ok) {
        result.ok = false;
        std::ostringstream os;
        os << name << " element " << i << ": analytic " << analytic[i] << ", numeric " << numeric;
        result.message = os.str();
      }
    }
  }
  return result;
}

#define EXPECT_MODULE_GRADCHECK(module, forward, ...)                                    \
  do {                                                                                   \
    auto qkv_mgc_result =                                                                \
        ::qkv::testing::module_gradcheck((module), (forward)__VA_OPT__(, ) __VA_ARGS__); \
    EXPECT_TRUE(qkv_mgc_result.ok) << qkv_mgc_result.message;                            \
  } while (0)

}  // namespace qkv::testing
