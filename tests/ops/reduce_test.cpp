#include "ops/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;

// [2, 3, 4] holding 0..23 in float64.
Tensor iota234() { return view::reshape(arange(0.0, 24.0, 1.0, DType::f64), {2, 3, 4}); }

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Reduce, SumValues) {
  const Tensor x = iota234();
  const Tensor all = sum(x);
  EXPECT_EQ(all.dim(), 0);
  EXPECT_EQ(all.item<double>(), 276);
  const Tensor d1 = sum(x, {1});
  EXPECT_EQ(d1.shape(), (Shape{2, 4}));
  EXPECT_EQ(d1.to_vector<double>(), (std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57}));
  const Tensor d02 = sum(x, {0, -1}, true);
  EXPECT_EQ(d02.shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(d02.to_vector<double>(), (std::vector<double>{60, 92, 124}));
  // The order of the dims does not matter; all dims equals sum(x).
  EXPECT_EQ(sum(x, {2, 0}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(sum(x, {0, 1, 2}).item<double>(), 276);
  EXPECT_EQ(sum(x, {0, 1, 2}, true).shape(), (Shape{1, 1, 1}));
  // No dims: nothing is reduced (NumPy's axis=()), and the result is a copy.
  const Tensor none = sum(x, {});
  EXPECT_EQ(none.shape(), x.shape());
  EXPECT_EQ(none.to_vector<double>(), x.to_vector<double>());
  EXPECT_NE(none.storage(), x.storage());
}

TEST(Reduce, SumOfViewsAndEmptyDims) {
  const Tensor x = iota234();
  // A transposed view sums the same numbers in its own layout.
  EXPECT_EQ(sum(view::transpose(x, 0, 2), {0}).to_vector<double>(),
            (std::vector<double>{6, 54, 22, 70, 38, 86}));
  // Summing over an empty dim gives zeros; a 0-dim input gives itself.
  EXPECT_EQ(sum(zeros({2, 0, 3}, DType::f64), {1}).to_vector<double>(),
            std::vector<double>(6, 0.0));
  EXPECT_EQ(sum(zeros({0}, DType::f64)).item<double>(), 0);
  EXPECT_EQ(sum(scalar_tensor(2.5, DType::f64)).item<double>(), 2.5);
  // float32 sums long rows accurately: 1e6 ones.
  EXPECT_EQ(sum(ones({1000000})).item<float>(), 1e6f);
}

TEST(Reduce, MeanValues) {
  const Tensor x = iota234();
  EXPECT_EQ(mean(x).item<double>(), 11.5);
  EXPECT_EQ(mean(x, {1}).to_vector<double>(), (std::vector<double>{4, 5, 6, 7, 16, 17, 18, 19}));
  EXPECT_EQ(mean(x, {0, 2}, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(mean(x, {0, 2}, true).to_vector<double>(), (std::vector<double>{7.5, 11.5, 15.5}));
  EXPECT_THROW(mean(zeros({0})), Error);
  EXPECT_NE(error_of([] { mean(zeros({2, 0}), {1}); }).find("[2, 0]"), std::string::npos);
}

TEST(Reduce, MaxAndArgmax) {
  const Tensor x = from_vector(std::vector<double>{3, 1, 4, 1, 5, 9, 2, 6, 5}, {3, 3}, DType::f64);
  EXPECT_EQ(max(x, 1).to_vector<double>(), (std::vector<double>{4, 9, 6}));
  EXPECT_EQ(max(x, 0).to_vector<double>(), (std::vector<double>{3, 6, 9}));
  EXPECT_EQ(max(x, -1, true).shape(), (Shape{3, 1}));
  EXPECT_EQ(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 2, 1}));
  EXPECT_EQ(argmax(x, 0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(argmax(x, 0).dtype(), DType::i64);
  // Ties: the first maximal element.
  const Tensor ties = from_vector(std::vector<double>{7, 7, 1, 7}, {4}, DType::f64);
  EXPECT_EQ(argmax(ties, 0).item<std::int64_t>(), 0);
  // NaN counts as the largest value, as in torch.max.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = from_vector(std::vector<double>{1, nan, 3}, {3}, DType::f64);
  EXPECT_TRUE(std::isnan(max(with_nan, 0).item<double>()));
  EXPECT_EQ(argmax(with_nan, 0).item<std::int64_t>(), 1);
  // Of a transposed view.
  EXPECT_EQ(max(view::transpose(x, 0, 1), 1).to_vector<double>(), (std::vector<double>{3, 6, 9}));
}

TEST(Reduce, MaxGradientGoesToTheFirstMaximum) {
  Tensor x = from_vector(std::vector<double>{1, 5, 5, 2, 0, 2}, {2, 3}, DType::f64);
  x.set_requires_grad(true);
  autograd::backward(max(x, 1), from_vector(std::vector<double>{10, 20}, {2}, DType::f64));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 10, 0, 20, 0, 0}));
}

TEST(Reduce, RejectsBadDims) {
  const Tensor x = zeros({2, 3});
  EXPECT_NE(error_of([&] { sum(x, {2}); }).find("dim 2"), std::string::npos);
  EXPECT_NE(error_of([&] { sum(x, {1, -1}); }).find("repeated"), std::string::npos);
  EXPECT_THROW(max(x, -3), Error);
  EXPECT_NE(error_of([] { max(zeros({2, 0}), 1); }).find("[2, 0]"), std::string::npos);
  EXPECT_THROW(argmax(zeros({0}), 0), Error);
  EXPECT_THROW(sum(arange(3)), Error);
}

TEST(Reduce, Gradcheck) {
  const Tensor x = leaf64({2, 3, 4}, 1);
  const std::pair<const char*, autograd::GradcheckFn> cases[] = {
      {"sum all", [](const auto& in) { return sum(in[0]); }},
      {"sum dim 1", [](const auto& in) { return sum(in[0], {1}); }},
      {"sum dims 0, 2 keepdim",
       [](const auto& in) {
         return sum(in[0], {0, 2}, true);
       }},
      {"sum dim -1 keepdim", [](const auto& in) { return sum(in[0], {-1}, true); }},
      {"sum no dims", [](const auto& in) { return sum(in[0], {}); }},
      {"mean all", [](const auto& in) { return mean(in[0]); }},
      {"mean dims 1, 2",
       [](const auto& in) {
         return mean(in[0], {1, 2});
       }},
      {"mean dim 0 keepdim", [](const auto& in) { return mean(in[0], {0}, true); }},
      {"max dim 1", [](const auto& in) { return max(in[0], 1); }},
      {"max dim -1 keepdim", [](const auto& in) { return max(in[0], -1, true); }},
      {"max dim 0", [](const auto& in) { return max(in[0], 0); }},
      {"sum of a transposed view", [](const auto& in) { return sum(transpose(in[0], 0, 2), {1}); }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, (std::vector<Tensor>{x}));
  }
}

}  // namespace
}  // namespace qkv
