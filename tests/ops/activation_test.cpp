#include "ops/activation.h"

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;

const std::vector<double> kPoints = {-2, -1, -0.5, 0.5, 1, 2};

std::vector<double> apply_at(Tensor (*f)(const Tensor&), const std::vector<double>& x) {
  return f(from_vector(x, {static_cast<std::int64_t>(x.size())}, DType::f64)).to_vector<double>();
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(Activation, ValuesMatchPyTorch) {
  // Reference values: torch 1.13, float64, at x = -2, -1, -0.5, 0.5, 1, 2.
  expect_near_all(apply_at(relu, kPoints), {0, 0, 0, 0.5, 1, 2}, 0);
  expect_near_all(apply_at([](const Tensor& x) { return gelu(x); }, kPoints),
                  {-0.04550026389635842, -0.15865525393145702, -0.15426876936299344,
                   0.34573123063700656, 0.841344746068543, 1.9544997361036416},
                  1e-15);
  expect_near_all(apply_at([](const Tensor& x) { return gelu(x, true); }, kPoints),
                  {-0.04540230591222494, -0.15880800939172324, -0.15428599017485606,
                   0.34571400982514394, 0.8411919906082768, 1.954597694087775},
                  1e-15);
  expect_near_all(apply_at(tanh, kPoints),
                  {-0.9640275800758169, -0.7615941559557649, -0.46211715726000974,
                   0.46211715726000974, 0.7615941559557649, 0.9640275800758169},
                  1e-15);
  expect_near_all(apply_at(sigmoid, kPoints),
                  {0.11920292202211755, 0.2689414213699951, 0.3775406687981454, 0.6224593312018546,
                   0.7310585786300049, 0.8807970779778823},
                  1e-15);
}

TEST(Activation, FloatMatchesDouble) {
  Generator gen(3);
  const Tensor x = rand({4, 65}, -6, 6, DType::f64, gen);
  const Tensor xf = view::to_dtype(x, DType::f32);
  for (auto f : {relu, tanh, sigmoid}) EXPECT_LT(testing::max_abs_diff(f(xf), f(x)), 1e-6);
  EXPECT_LT(testing::max_abs_diff(gelu(xf), gelu(x)), 1e-6);
  EXPECT_LT(testing::max_abs_diff(gelu(xf, true), gelu(x, true)), 1e-6);
}

TEST(Activation, SaturatesWithoutNaN) {
  const Tensor x = from_vector(std::vector<double>{-1000, 1000}, {2}, DType::f64);
  EXPECT_EQ(sigmoid(x).to_vector<double>(), (std::vector<double>{0, 1}));
  EXPECT_EQ(tanh(x).to_vector<double>(), (std::vector<double>{-1, 1}));
  EXPECT_EQ(gelu(x).to_vector<double>(), (std::vector<double>{-0.0, 1000}));
  EXPECT_EQ(gelu(x, true).to_vector<double>(), (std::vector<double>{-0.0, 1000}));
}

TEST(Activation, ReluGradientIsAStep) {
  Tensor x = from_vector(std::vector<double>{-1, 2, -3, 4}, {4}, DType::f64);
  x.set_requires_grad(true);
  autograd::backward(relu(x), from_vector(std::vector<double>{10, 20, 30, 40}, {4}, DType::f64));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 20, 0, 40}));
}

TEST(Activation, Gradcheck) {
  // relu: values kept 0.1 or more away from the kink at 0.
  Tensor away_from_zero =
      from_vector(std::vector<double>{-1.5, -0.3, -0.1, 0.1, 0.4, 2.0}, {2, 3}, DType::f64);
  away_from_zero.set_requires_grad(true);
  EXPECT_GRADCHECK([](const auto& in) { return relu(in[0]); },
                   (std::vector<Tensor>{away_from_zero}));
  Generator gen(1);
  const Tensor leaf = rand({3, 5}, -3, 3, DType::f64, gen);  // both tails of each curve
  leaf.set_requires_grad(true);
  const std::pair<const char*, autograd::GradcheckFn> cases[] = {
      {"gelu", [](const auto& in) { return gelu(in[0]); }},
      {"gelu tanh", [](const auto& in) { return gelu(in[0], true); }},
      {"tanh", [](const auto& in) { return tanh(in[0]); }},
      {"sigmoid", [](const auto& in) { return sigmoid(in[0]); }},
      {"sigmoid of transposed", [](const auto& in) { return sigmoid(transpose(in[0], 0, 1)); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, (std::vector<Tensor>{leaf}));
  }
}

TEST(Activation, RejectsNonFloating) {
  EXPECT_THROW(relu(arange(3)), Error);
  EXPECT_THROW(gelu(Tensor()), Error);
}

}  // namespace
}  // namespace qkv
