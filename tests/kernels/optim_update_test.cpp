#include "kernels/optim_update.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "harness/tensor_testing.h"

namespace qkv::kernels {
namespace {

// Odd sizes around the vector width, plus one past the OpenMP threshold.
const std::vector<std::int64_t> kSizes{1, 7, 63, 65, 1000, 40001};

template <class T>
std::vector<T> values(std::int64_t n, std::uint64_t seed, double lo, double hi) {
  std::vector<T> out;
  for (float f : testing::random_floats(n, seed, lo, hi)) out.push_back(static_cast<T>(f));
  return out;
}

template <class T>
double max_diff(const std::vector<T>& a, const std::vector<T>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  return m;
}

template <class T>
constexpr double tolerance() {
  return std::is_same_v<T, float> ? 2e-6 : 1e-14;
}

template <class T>
void check_adam(const AdamConfig& config) {
  for (std::int64_t n : kSizes) {
    const auto grad = values<T>(n, 1, -1, 1);
    auto p_fast = values<T>(n, 2, -2, 2), m_fast = values<T>(n, 3, -0.1, 0.1),
         v_fast = values<T>(n, 4, 0, 0.01);
    auto p_ref = p_fast, m_ref = m_fast, v_ref = v_fast;
    // Two steps from a non-zero state: t = 3 and t = 4.
    for (std::int64_t step = 3; step <= 4; ++step) {
      adam_update<T>(n, p_fast.data(), grad.data(), m_fast.data(), v_fast.data(), config, step);
      ref::adam_update<T>(n, p_ref.data(), grad.data(), m_ref.data(), v_ref.data(), config, step);
    }
    EXPECT_LE(max_diff(p_fast, p_ref), tolerance<T>()) << "n = " << n;
    EXPECT_LE(max_diff(m_fast, m_ref), tolerance<T>()) << "n = " << n;
    EXPECT_LE(max_diff(v_fast, v_ref), tolerance<T>()) << "n = " << n;
    EXPECT_GT(max_diff(p_fast, values<T>(n, 2, -2, 2)), 1e-3) << "the update moved nothing";
  }
}

template <class T>
void check_sgd(const SgdConfig& config) {
  for (std::int64_t n : kSizes) {
    const auto grad = values<T>(n, 5, -1, 1);
    auto p_fast = values<T>(n, 6, -2, 2);
    // Garbage in the buffer must not matter on the first step.
    std::vector<T> b_fast(n, std::numeric_limits<T>::quiet_NaN());
    auto p_ref = p_fast, b_ref = b_fast;
    T* bf = config.momentum != 0 ? b_fast.data() : nullptr;
    T* br = config.momentum != 0 ? b_ref.data() : nullptr;
    for (int step = 0; step < 3; ++step) {
      sgd_update<T>(n, p_fast.data(), grad.data(), bf, config, step == 0);
      ref::sgd_update<T>(n, p_ref.data(), grad.data(), br, config, step == 0);
    }
    EXPECT_LE(max_diff(p_fast, p_ref), tolerance<T>()) << "n = " << n;
    if (config.momentum != 0) {
      EXPECT_LE(max_diff(b_fast, b_ref), tolerance<T>()) << "n = " << n;
    }
    EXPECT_FALSE(std::isnan(static_cast<double>(p_fast[0])));
  }
}

template <class T>
void check_all() {
  check_adam<T>({.lr = 0.01});
  check_adam<T>({.lr = 0.01, .beta1 = 0.8, .beta2 = 0.98, .eps = 1e-6, .weight_decay = 0.1});
  check_adam<T>({.lr = 0.01, .weight_decay = 0.1, .decoupled_weight_decay = true});
  check_sgd<T>({.lr = 0.1});
  check_sgd<T>({.lr = 0.1, .weight_decay = 0.01});
  check_sgd<T>({.lr = 0.1, .momentum = 0.9, .dampening = 0.3});
  check_sgd<T>({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  check_sgd<T>({.lr = 0.1, .momentum = 0.5, .nesterov = true});
}

TEST(OptimUpdateKernel, FastMatchesRefFloat) { check_all<float>(); }
TEST(OptimUpdateKernel, FastMatchesRefDouble) { check_all<double>(); }

TEST(OptimUpdateKernel, SumSquaresMatchesRef) {
  for (std::int64_t n : kSizes) {
    const auto x = values<float>(n, 7, -3, 3);
    const double fast = sum_squares<float>(n, x.data()),
                 slow = ref::sum_squares<float>(n, x.data());
    EXPECT_NEAR(fast, slow, 1e-12 * slow) << "n = " << n;
  }
  const std::vector<double> x{3, 4};
  EXPECT_EQ(sum_squares<double>(2, x.data()), 25.0);
  EXPECT_EQ(sum_squares<double>(0, x.data()), 0.0);
}

}  // namespace
}  // namespace qkv::kernels
