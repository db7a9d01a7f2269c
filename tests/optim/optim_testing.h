#pragma once
// Helpers for the optimizer tests: one float64 parameter stepped with given
// gradients (to compare with values worked by hand), and error checks.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/creation.h"
#include "optim/optimizer.h"

namespace qkv::testing {

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

// Starts p at `start`, sets p.grad = g and steps once per g; returns p after
// each step.
inline std::vector<double> trajectory(const MakeOptimizer& make, const std::vector<double>& grads,
                                      double start = 1.0) {
  Tensor p = from_vector(std::vector<double>{start}, {1}, DType::f64);
  p.set_requires_grad(true);
  auto opt = make({p});
  std::vector<double> out;
  for (double g : grads) {
    p.set_grad(from_vector(std::vector<double>{g}, {1}, DType::f64));
    opt->step();
    out.push_back(p.item<double>());
  }
  return out;
}

// Expects f() to throw qkv::Error whose message contains `fragment`.
template <class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "expected a qkv::Error mentioning '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace qkv::testing
