#include "nn/kernel_regression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

// f(x) with softmax weights of -((x - x_i) w)^2 / 2, written out by hand.
std::vector<double> by_hand(double x, const std::vector<double>& keys,
                            const std::vector<double>& values, double w, double* out) {
  std::vector<double> a;
  double z = 0;
  for (double k : keys) {
    a.push_back(std::exp(-0.5 * (x - k) * (x - k) * w * w));
    z += a.back();
  }
  *out = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] /= z;
    *out += a[i] * values[i];
  }
  return a;
}

TEST(NadarayaWatson, MatchesHandComputationOnThreePoints) {
  const std::vector<double> keys = {0, 1, 3}, values = {1, 2, 4}, queries = {1, 2.5};
  const Tensor q = from_vector(queries, {2}, DType::f64);
  const Tensor k = from_vector(std::vector<double>{0, 1, 3, 0, 1, 3}, {2, 3}, DType::f64);
  const Tensor v = from_vector(std::vector<double>{1, 2, 4, 1, 2, 4}, {2, 3}, DType::f64);
  for (double w : {1.0, 2.0}) {
    NadarayaWatson nw = w == 1.0 ? NadarayaWatson::nonparametric(DType::f64)
                                 : NadarayaWatson::parametric(w, DType::f64);
    const std::vector<double> f = nw.forward(q, k, v).to_vector<double>();
    const Tensor weights = nw.attention_weights();
    ASSERT_EQ(weights.shape(), (Shape{2, 3}));
    EXPECT_FALSE(weights.requires_grad());
    const std::vector<double> got = weights.to_vector<double>();
    for (int j = 0; j < 2; ++j) {
      double expected_f = 0;
      const auto a = by_hand(queries[j], keys, values, w, &expected_f);
      EXPECT_NEAR(f[j], expected_f, 1e-12) << "w " << w << " query " << j;
      double row_sum = 0;
      for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(got[j * 3 + i], a[i], 1e-12);
        row_sum += got[j * 3 + i];
      }
      EXPECT_NEAR(row_sum, 1, 1e-12);
    }
  }
  // w = 1, query 1: weights e^-0.5, e^0, e^-2 normalised (the Gaussian kernel itself).
  const double z = std::exp(-0.5) + 1 + std::exp(-2);
  NadarayaWatson nw = NadarayaWatson::nonparametric(DType::f64);
  nw.forward(q, k, v);
  EXPECT_NEAR(nw.attention_weights().to_vector<double>()[1], 1 / z, 1e-12);
}

TEST(NadarayaWatson, WeightsSumToOnePerQueryInFloat32) {
  Generator gen(3);
  const Tensor q = rand({20}, 0, 5, DType::f32, gen);
  const Tensor k = rand({20, 30}, 0, 5, DType::f32, gen);
  const Tensor v = randn({20, 30}, DType::f32, gen);
  NadarayaWatson nw = NadarayaWatson::parametric(3.0);
  EXPECT_EQ(nw.forward(q, k, v).shape(), (Shape{20}));
  const Tensor row_sums = sum(nw.attention_weights(), {1});
  EXPECT_LT(testing::max_abs_diff(row_sums, ones({20})), 1e-6);
}

TEST(NadarayaWatson, GradcheckOfParametricLoss) {
  // The squared-error training loss through every input: w, queries, keys, values.
  const Tensor w = from_vector(std::vector<double>{1.7}, {1}, DType::f64);
  w.set_requires_grad(true);
  const Tensor q = testing::leaf64({4}, 1), k = testing::leaf64({4, 5}, 2),
               v = testing::leaf64({4, 5}, 3);
  const Tensor y = testing::leaf64({4}, 4);
  EXPECT_GRADCHECK(
      [&](const std::vector<Tensor>& in) {
        NadarayaWatson nw(in[0]);
        return mean(square(sub(nw.forward(in[1], in[2], in[3]), y)));
      },
      (std::vector<Tensor>{w, q, k, v}));
}

TEST(NadarayaWatson, GradientDescentLowersLeaveOneOutLoss) {
  Generator gen(7);
  const KernelRegressionData data = make_kernel_regression_data(gen);
  const LeaveOneOut loo = leave_one_out(data.x_train, data.y_train);
  NadarayaWatson nw = NadarayaWatson::parametric(0.5);
  const Tensor& w = nw.w();
  double previous = INFINITY;
  for (int step = 0; step < 5; ++step) {
    const Tensor loss =
        mean(square(sub(nw.forward(data.x_train, loo.keys, loo.values), data.y_train)));
    EXPECT_LT(loss.item<double>(), previous) << "step " << step;
    previous = loss.item<double>();
    w.set_grad(Tensor());
    autograd::backward(loss);
    autograd::NoGradGuard no_grad;
    view::copy_into(w, sub(w, w.grad() * 0.5));
  }
  EXPECT_GT(w.item<double>(), 0.5);  // the kernel narrows from its wide start
}

TEST(NadarayaWatson, NonparametricHasNoGradientAndBadShapesThrow) {
  NadarayaWatson nw = NadarayaWatson::nonparametric();
  EXPECT_FALSE(nw.w().requires_grad());
  EXPECT_EQ(nw.w().item<double>(), 1.0);
  EXPECT_THROW(nw.forward(zeros({3}), zeros({2, 4}), zeros({2, 4})), Error);
  EXPECT_THROW(nw.forward(zeros({2}), zeros({2, 4}), zeros({2, 3})), Error);
  EXPECT_THROW(nw.forward(zeros({2, 1}), zeros({2, 4}), zeros({2, 4})), Error);
  EXPECT_THROW(nw.forward(zeros({2}, DType::f64), zeros({2, 4}), zeros({2, 4})), Error);
  EXPECT_THROW(NadarayaWatson(zeros({2})), Error);
}

TEST(KernelRegressionData, SeededSortedWithTheClassicTestGrid) {
  Generator a(11), b(11), c(12);
  const KernelRegressionData d = make_kernel_regression_data(a);
  EXPECT_EQ(d.x_train.to_vector<double>(),
            make_kernel_regression_data(b).x_train.to_vector<double>());
  EXPECT_NE(d.y_train.to_vector<double>(),
            make_kernel_regression_data(c).y_train.to_vector<double>());

  const auto x = d.x_train.to_vector<double>(), y = d.y_train.to_vector<double>();
  ASSERT_EQ(x.size(), 50u);
  EXPECT_TRUE(std::is_sorted(x.begin(), x.end()));
  EXPECT_GE(x.front(), 0);
  EXPECT_LT(x.back(), 5);
  // Noise N(0, 0.5^2): the residual spread over 50 points lies well inside [0.3, 0.7].
  double ss = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - kernel_regression_truth(x[i]);
    ss += r * r;
  }
  const double sd = std::sqrt(ss / x.size());
  EXPECT_GT(sd, 0.3);
  EXPECT_LT(sd, 0.7);

  const auto xt = d.x_test.to_vector<double>(), yt = d.y_test.to_vector<double>();
  ASSERT_EQ(xt.size(), 50u);
  for (std::size_t i = 0; i < xt.size(); ++i) {
    EXPECT_NEAR(xt[i], 0.1 * i, 1e-6);
    EXPECT_NEAR(yt[i], 2 * std::sin(xt[i]) + std::pow(xt[i], 0.8), 1e-5);
  }
}

TEST(KernelRegressionData, LeaveOneOutExcludesSelf) {
  const Tensor x = from_vector(std::vector<double>{1, 2, 3, 4}, {4}, DType::f64);
  const Tensor y = from_vector(std::vector<double>{10, 20, 30, 40}, {4}, DType::f64);
  const LeaveOneOut loo = leave_one_out(x, y);
  ASSERT_EQ(loo.keys.shape(), (Shape{4, 3}));
  ASSERT_EQ(loo.values.shape(), (Shape{4, 3}));
  EXPECT_EQ(loo.keys.to_vector<double>(),
            (std::vector<double>{2, 3, 4, 1, 3, 4, 1, 2, 4, 1, 2, 3}));
  EXPECT_EQ(loo.values.to_vector<double>(),
            (std::vector<double>{20, 30, 40, 10, 30, 40, 10, 20, 40, 10, 20, 30}));

  Generator gen(5);
  const KernelRegressionData d = make_kernel_regression_data(gen);
  const LeaveOneOut big = leave_one_out(d.x_train, d.y_train);
  ASSERT_EQ(big.keys.shape(), (Shape{50, 49}));
  const auto xs = d.x_train.to_vector<float>(), ks = big.keys.to_vector<float>();
  for (std::size_t i = 0; i < 50; ++i)
    EXPECT_EQ(std::count(ks.begin() + i * 49, ks.begin() + (i + 1) * 49, xs[i]), 0)
        << "row " << i << " contains its own query";

  EXPECT_THROW(leave_one_out(x, zeros({3}, DType::f64)), Error);
  EXPECT_THROW(leave_one_out(zeros({1}), zeros({1})), Error);
}

}  // namespace
}  // namespace qkv::nn
