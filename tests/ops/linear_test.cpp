#include "ops/linear.h"

#include <gtest/gtest.h>

#include <string>

#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor f64(const std::vector<double>& values, const Shape& shape) {
  return from_vector(values, shape, DType::f64);
}

TEST(Linear, HandComputed) {
  // x [2, 3], weight [2, 3] (out = 2), bias [2]: y = x W^T + b.
  const Tensor x = f64({1, 2, 3, -1, 0, 1}, {2, 3});
  const Tensor w = f64({1, 0, -1, 0.5, 0.5, 0.5}, {2, 3}), b = f64({10, 20}, {2});
  EXPECT_EQ(linear(x, w).to_vector<double>(), (std::vector<double>{-2, 3, -2, 0}));
  EXPECT_EQ(linear(x, w, b).to_vector<double>(), (std::vector<double>{8, 23, 8, 20}));
  // A vector input and a [B, T, in] input.
  EXPECT_EQ(linear(f64({1, 2, 3}, {3}), w, b).to_vector<double>(), (std::vector<double>{8, 23}));
  const Tensor y = linear(view::reshape(x, {1, 2, 3}), w, b);
  EXPECT_EQ(y.shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{8, 23, 8, 20}));
  // Non-contiguous input.
  const Tensor xt = view::transpose(f64({1, -1, 2, 0, 3, 1}, {3, 2}), 0, 1);
  EXPECT_EQ(linear(xt, w, b).to_vector<double>(), (std::vector<double>{8, 23, 8, 20}));
}

TEST(Linear, ErrorsNameTheShapes) {
  const Tensor w = zeros({4, 3});
  std::string msg = error_of([&] { linear(zeros({2, 5}), w); });
  EXPECT_NE(msg.find("[2, 5]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 3]"), std::string::npos) << msg;
  msg = error_of([&] { linear(zeros({2, 3}), w, zeros({3})); });
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 3]"), std::string::npos) << msg;
  msg = error_of([&] { linear(zeros({2, 3}), zeros({3})); });
  EXPECT_NE(msg.find("[3]"), std::string::npos) << msg;
  EXPECT_THROW(linear(zeros({}), w), Error);
  EXPECT_THROW(linear(zeros({2, 3}), zeros({4, 3}, DType::f64)), Error);
}

TEST(Linear, Gradcheck) {
  using In = std::vector<Tensor>;
  const Tensor w = leaf64({4, 3}, 1), b = leaf64({4}, 2);
  EXPECT_GRADCHECK([](const In& in) { return linear(in[0], in[1], in[2]); },
                   (In{leaf64({2, 5, 3}, 3), w, b}));
  EXPECT_GRADCHECK([](const In& in) { return linear(in[0], in[1]); }, (In{leaf64({5, 3}, 4), w}));
  EXPECT_GRADCHECK([](const In& in) { return linear(in[0], in[1], in[2]); },
                   (In{leaf64({3}, 5), w, b}));
  EXPECT_GRADCHECK([](const In& in) { return linear(transpose(in[0], 0, 1), in[1], in[2]); },
                   (In{leaf64({3, 6}, 6), w, b}));
}

}  // namespace
}  // namespace qkv
