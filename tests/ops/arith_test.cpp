#include "ops/arith.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;

Tensor f64(const std::vector<double>& values, const Shape& shape) {
  return from_vector(values, shape, DType::f64);
}

// A float64 leaf requiring grad with values uniform in [lo, hi).
Tensor leaf64_in(const Shape& shape, std::uint64_t seed, double lo, double hi) {
  Generator gen(seed);
  Tensor t = rand(shape, lo, hi, DType::f64, gen);
  t.set_requires_grad(true);
  return t;
}

// The message of the Error that f throws, or "" when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Arith, ValuesOnSmallCases) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3}), b = f64({2, 4, 8, 16, 32, 64}, {2, 3});
  EXPECT_EQ((a + b).to_vector<double>(), (std::vector<double>{3, 6, 11, 20, 37, 70}));
  EXPECT_EQ((a - b).to_vector<double>(), (std::vector<double>{-1, -2, -5, -12, -27, -58}));
  EXPECT_EQ((a * b).to_vector<double>(), (std::vector<double>{2, 8, 24, 64, 160, 384}));
  EXPECT_EQ((b / a).to_vector<double>(),
            (std::vector<double>{2, 2, 8.0 / 3, 4, 32.0 / 5, 64.0 / 6}));
  EXPECT_EQ((-a).to_vector<double>(), (std::vector<double>{-1, -2, -3, -4, -5, -6}));
  EXPECT_EQ(affine(a, 2, -1).to_vector<double>(), (std::vector<double>{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ((a + 1.0).to_vector<double>(), (std::vector<double>{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ((10.0 - a).to_vector<double>(), (std::vector<double>{9, 8, 7, 6, 5, 4}));
  EXPECT_EQ((a * 0.5).to_vector<double>(), (a / 2.0).to_vector<double>());
  EXPECT_EQ(square(a).to_vector<double>(), (std::vector<double>{1, 4, 9, 16, 25, 36}));
  EXPECT_EQ(sqrt(b).to_vector<double>()[3], 4);
  EXPECT_EQ(pow(a, 3).to_vector<double>(), (std::vector<double>{1, 8, 27, 64, 125, 216}));
  EXPECT_EQ(pow(b, -1).to_vector<double>()[0], 0.5);
  EXPECT_NEAR(exp(a).to_vector<double>()[0], std::exp(1.0), 1e-15);
  EXPECT_NEAR(log(b).to_vector<double>()[5], std::log(64.0), 1e-15);
  EXPECT_EQ(a.dtype(), (a + b).dtype());
  EXPECT_EQ((a + b).shape(), (Shape{2, 3}));
}

TEST(Arith, BroadcastsLikeNumPy) {
  const Tensor m = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  // Row [3], column [2, 1], scalar [], and both sides [2, 1] x [1, 3].
  EXPECT_EQ((m + f64({10, 20, 30}, {3})).to_vector<double>(),
            (std::vector<double>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ((m * f64({10, 100}, {2, 1})).to_vector<double>(),
            (std::vector<double>{10, 20, 30, 400, 500, 600}));
  EXPECT_EQ((f64({1}, {}) - m).to_vector<double>(), (std::vector<double>{0, -1, -2, -3, -4, -5}));
  const Tensor outer = f64({1, 2}, {2, 1}) * f64({1, 10, 100}, {1, 3});
  EXPECT_EQ(outer.shape(), (Shape{2, 3}));
  EXPECT_EQ(outer.to_vector<double>(), (std::vector<double>{1, 10, 100, 2, 20, 200}));
  // Rank grows on the left: [4, 1, 3] with [2, 1] gives [4, 2, 3].
  const Tensor big = ones({4, 1, 3}, DType::f64) / f64({2, 4}, {2, 1});
  EXPECT_EQ(big.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(view::select(big, 0, 3).to_vector<double>(),
            (std::vector<double>{0.5, 0.5, 0.5, 0.25, 0.25, 0.25}));
  // Size-0 dims broadcast too.
  EXPECT_EQ((zeros({0, 3}, DType::f64) + f64({1, 2, 3}, {3})).shape(), (Shape{0, 3}));
}

TEST(Arith, NonContiguousInputs) {
  const Tensor m = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor t = view::transpose(m, 0, 1);  // [3, 2]: {1, 4}, {2, 5}, {3, 6}
  EXPECT_EQ((t + f64({0, 10}, {2})).to_vector<double>(),
            (std::vector<double>{1, 14, 2, 15, 3, 16}));
  EXPECT_EQ(exp(t).to_vector<double>()[1], std::exp(4.0));
  EXPECT_EQ(affine(t, 1, 1).to_vector<double>(), (std::vector<double>{2, 5, 3, 6, 4, 7}));
  EXPECT_EQ(pow(view::narrow(m, 1, 1, 2), 2).to_vector<double>(),
            (std::vector<double>{4, 9, 25, 36}));
}

TEST(Arith, RejectsMismatchedInputs) {
  const Tensor a = zeros({2, 3}), b = zeros({4});
  const std::string msg = error_of([&] { add(a, b); });
  EXPECT_NE(msg.find("add"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4]"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] {
              mul(zeros({3, 2}), zeros({2, 3}));
            }).find("[3, 2] and [2, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { sub(zeros({2}), zeros({2}, DType::f64)); }).find("float64"),
            std::string::npos);
  EXPECT_NE(error_of([&] { exp(arange(3)); }).find("int64"), std::string::npos);
  EXPECT_THROW(div(Tensor(), zeros({1})), Error);
}

TEST(Arith, RecordsOnlyWhenNeeded) {
  const Tensor x = leaf64({3}, 1), c = ones({3}, DType::f64);
  EXPECT_TRUE((x * c).requires_grad());
  EXPECT_FALSE((c * c).requires_grad());
  autograd::NoGradGuard guard;
  EXPECT_FALSE(exp(x).requires_grad());
  EXPECT_FALSE((x + c).grad_fn());
}

TEST(Arith, HandComputedGradients) {
  // d/da sum(a * b + a / b) = b + 1 / b; d/db = a - a / b^2.
  Tensor a = f64({1, 2}, {2}), b = f64({2, 4}, {2});
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  autograd::backward(sum(a * b + a / b));
  EXPECT_EQ(a.grad().to_vector<double>(), (std::vector<double>{2.5, 4.25}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>{0.75, 1.875}));
}

using Fn = autograd::GradcheckFn;

TEST(Arith, GradcheckBinaryWithBroadcastingOnBothSides) {
  // [2, 1, 3] op [4, 1] -> [2, 4, 3]: both gradients are summed back.
  const Tensor a = leaf64({2, 1, 3}, 1), b = leaf64_in({4, 1}, 2, 0.5, 1.5);
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return add(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return sub(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return mul(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return div(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
  // The broadcast operand on the left, a scalar, and the same tensor twice.
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return div(in[1], in[0]); },
                   (std::vector<Tensor>{leaf64_in({3, 4, 1}, 3, 0.5, 1.5), leaf64({4, 5}, 4)}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return sub(in[1], in[0]); },
                   (std::vector<Tensor>{leaf64({}, 5), leaf64({2, 3}, 6)}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return mul(in[0], in[0]); },
                   (std::vector<Tensor>{leaf64({5}, 7)}));
}

TEST(Arith, GradcheckOnlyOneInputNeedsGrad) {
  const Tensor a = leaf64({3, 2}, 1), b = rand({2}, 1, 2, DType::f64);
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return div(in[0], in[1]); },
                   (std::vector<Tensor>{a, b}));
  EXPECT_GRADCHECK([](const std::vector<Tensor>& in) { return mul(in[1], in[0]); },
                   (std::vector<Tensor>{a, b}));
}

TEST(Arith, GradcheckUnary) {
  const Tensor x = leaf64({2, 3}, 1), positive = leaf64_in({2, 3}, 2, 0.2, 2);
  const std::pair<const char*, Fn> cases[] = {
      {"affine", [](const auto& in) { return affine(in[0], -1.5, 0.25); }},
      {"neg", [](const auto& in) { return neg(in[0]); }},
      {"exp", [](const auto& in) { return exp(in[0]); }},
      {"square", [](const auto& in) { return square(in[0]); }},
      {"pow 3", [](const auto& in) { return pow(in[0], 3); }},
      {"pow 2", [](const auto& in) { return pow(in[0], 2); }},
      {"pow 0", [](const auto& in) { return pow(in[0], 0) * in[0]; }},
      {"scalar operators", [](const auto& in) { return (2.0 - in[0]) / 4.0 + 1.0; }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, (std::vector<Tensor>{x}));
  }
  const std::pair<const char*, Fn> positive_cases[] = {
      {"log", [](const auto& in) { return log(in[0]); }},
      {"sqrt", [](const auto& in) { return sqrt(in[0]); }},
      {"pow 0.5", [](const auto& in) { return pow(in[0], 0.5); }},
      {"pow -1.5", [](const auto& in) { return pow(in[0], -1.5); }},
  };
  for (const auto& [name, fn] : positive_cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, (std::vector<Tensor>{positive}));
  }
  // Through a transposed (non-contiguous) input.
  EXPECT_GRADCHECK([](const auto& in) { return exp(transpose(in[0], 0, 1)); },
                   (std::vector<Tensor>{x}));
}

TEST(Arith, PowZeroHasZeroGradientAtZero) {
  Tensor x = f64({0, 2}, {2});
  x.set_requires_grad(true);
  autograd::backward(pow(x, 0), f64({1, 1}, {2}));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0}));
}

TEST(Arith, GraphIsFreedWithItsOutput) {
  // Ops that save their own output (div, exp, sqrt) must not keep their node
  // alive through it: a forward pass without backward would leak the graph.
  const Tensor x = leaf64_in({4}, 1, 0.5, 1.5);
  const std::pair<const char*, Fn> cases[] = {
      {"div", [](const auto& in) { return div(in[0], in[0] + 1.0); }},
      {"exp", [](const auto& in) { return exp(in[0]); }},
      {"sqrt", [](const auto& in) { return sqrt(in[0]); }},
      {"log", [](const auto& in) { return log(in[0]); }},
  };
  for (const auto& [name, fn] : cases) {
    std::weak_ptr<autograd::Node> node;
    {
      const Tensor y = fn({x});
      node = y.grad_fn();
      ASSERT_FALSE(node.expired()) << name;
    }
    EXPECT_TRUE(node.expired()) << name << ": the graph outlived its output";
  }
}

}  // namespace
}  // namespace qkv
