#pragma once
// Helpers shared by the tests: random inputs and tolerant comparisons.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/creation.h"
#include "core/tensor.h"

namespace qkv::testing {

// Max |a - b| over all elements; shapes must match.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double m = 0;
  for (std::size_t i = 0; i < va.size() && i < vb.size(); ++i) {
    if (std::isnan(va[i]) != std::isnan(vb[i])) return INFINITY;
    if (!std::isnan(va[i])) m = std::max(m, std::abs(va[i] - vb[i]));
  }
  return m;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
    m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

// A float64 leaf requiring grad, values uniform in [-1, 1).
inline Tensor leaf64(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  Tensor t = rand(shape, -1, 1, DType::f64, gen);
  t.set_requires_grad(true);
  return t;
}

inline std::vector<float> random_floats(std::int64_t n, std::uint64_t seed, double lo = -1,
                                        double hi = 1) {
  Generator gen(seed);
  return rand({n}, lo, hi, DType::f32, gen).to_vector<float>();
}

#define EXPECT_GRADCHECK(fn, inputs)                                             \
  do {                                                                           \
    auto qkv_gc_result = ::qkv::autograd::gradcheck((fn), (inputs));             \
    EXPECT_TRUE(qkv_gc_result.ok) << qkv_gc_result.message;                      \
  } while (0)

}  // namespace qkv::testing
