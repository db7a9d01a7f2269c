#include "ops/softmax.h"

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;
using testing::max_abs_diff;

TEST(SoftmaxOp, RowsSumToOneAndMatchFormula) {
  Tensor x = from_vector(std::vector<double>{1, 2, 3, -1, 0, 1}, {2, 3}, DType::f64);
  Tensor y = softmax(x);
  const auto v = y.to_vector<double>();
  const double z = std::exp(1) + std::exp(2) + std::exp(3);
  EXPECT_NEAR(v[0], std::exp(1) / z, 1e-15);
  EXPECT_NEAR(v[5], std::exp(3) / z, 1e-15);
  EXPECT_NEAR(v[3] + v[4] + v[5], 1.0, 1e-15);
  EXPECT_LT(max_abs_diff(log_softmax(x), log(y)), 1e-15);
}

TEST(SoftmaxOp, AnyDimEqualsLastDimOfTransposed) {
  Tensor x = randn({3, 4, 5}, DType::f32);
  for (std::int64_t dim : {0, 1, -1}) {
    Tensor want =
        view::transpose(softmax(view::contiguous(view::transpose(x, dim, 2)), -1), dim, 2);
    EXPECT_LT(max_abs_diff(softmax(x, dim), want), 1e-7) << "dim " << dim;
    Tensor lwant =
        view::transpose(log_softmax(view::contiguous(view::transpose(x, dim, 2)), -1), dim, 2);
    EXPECT_LT(max_abs_diff(log_softmax(x, dim), lwant), 1e-6) << "dim " << dim;
  }
}

TEST(SoftmaxOp, NonContiguousInputEqualsContiguousCopy) {
  Tensor x = view::transpose(randn({70, 33}, DType::f32), 0, 1);  // [33, 70], strided
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_EQ(max_abs_diff(softmax(x), softmax(view::contiguous(x))), 0.0);
  EXPECT_EQ(max_abs_diff(log_softmax(x, 0), log_softmax(view::contiguous(x), 0)), 0.0);
}

TEST(SoftmaxOp, ZeroDimTensorIsOne) {
  EXPECT_EQ(softmax(scalar_tensor(3.5)).item<float>(), 1.0f);
  EXPECT_EQ(log_softmax(scalar_tensor(3.5), 0).item<float>(), 0.0f);
}

TEST(SoftmaxOp, Gradcheck) {
  auto last = [](const std::vector<Tensor>& in) { return softmax(in[0]); };
  auto first = [](const std::vector<Tensor>& in) { return softmax(in[0], 0); };
  auto log_last = [](const std::vector<Tensor>& in) { return log_softmax(in[0], -1); };
  auto log_middle = [](const std::vector<Tensor>& in) { return log_softmax(in[0], 1); };
  EXPECT_GRADCHECK(last, (std::vector<Tensor>{leaf64({3, 5}, 1)}));
  EXPECT_GRADCHECK(first, (std::vector<Tensor>{leaf64({4, 3, 2}, 2)}));
  EXPECT_GRADCHECK(log_last, (std::vector<Tensor>{leaf64({3, 17}, 3)}));
  EXPECT_GRADCHECK(log_middle, (std::vector<Tensor>{leaf64({2, 5, 3}, 4)}));
}

// The fused log-softmax against the same maths from primitive ops, values and gradients.
TEST(SoftmaxOp, LogSoftmaxMatchesComposedOps) {
  Tensor a = leaf64({4, 9}, 5), b = view::clone(a);
  b.set_requires_grad(true);
  Tensor w = randn({4, 9}, DType::f64);
  Tensor fused = log_softmax(a);
  Tensor composed = b - log(sum(exp(b), {-1}, true));
  EXPECT_LT(max_abs_diff(fused, composed), 1e-14);
  autograd::backward(sum(fused * w));
  autograd::backward(sum(composed * w));
  EXPECT_LT(max_abs_diff(a.grad(), b.grad()), 1e-14);
}

TEST(SoftmaxOp, Errors) {
  EXPECT_THROW(softmax(randn({2, 3}), 2), Error);
  EXPECT_THROW(log_softmax(randn({2, 3}), -3), Error);
  EXPECT_THROW(softmax(arange(4)), Error);  // int64
}

}  // namespace
}  // namespace qkv
