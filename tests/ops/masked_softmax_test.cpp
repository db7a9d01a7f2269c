#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/attention.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

namespace qkv {
namespace {

using testing::leaf64;
using testing::max_abs_diff;

Tensor lengths(std::vector<std::int64_t> v, Shape shape) { return from_vector(v, shape); }

TEST(MaskedSoftmaxOp, ValidLengthsPerBatch) {
  // d2l's example: two batches of 2 x 4 scores, 2 and 3 valid keys.
  const Tensor s = rand({2, 2, 4}, 0, 1);
  AttentionMask m;
  m.key_lengths = lengths({2, 3}, {2});
  const auto w = masked_softmax(s, m).to_vector<float>();
  const auto x = s.to_vector<float>();
  for (int row = 0; row < 4; ++row) {
    const int valid = row < 2 ? 2 : 3;
    double z = 0;
    for (int j = 0; j < valid; ++j) z += std::exp(double(x[row * 4 + j]));
    for (int j = 0; j < 4; ++j) {
      const double want = j < valid ? std::exp(double(x[row * 4 + j])) / z : 0.0;
      if (j < valid)
        EXPECT_NEAR(w[row * 4 + j], want, 1e-6) << row << ", " << j;
      else
        EXPECT_EQ(w[row * 4 + j], 0.0f) << row << ", " << j;
    }
  }
}

TEST(MaskedSoftmaxOp, ValidLengthsPerQueryRow) {
  const Tensor s = randn({2, 2, 4});
  AttentionMask m;
  m.key_lengths = lengths({1, 3, 2, 4}, {2, 2});
  const auto w = masked_softmax(s, m).to_vector<float>();
  const int valid[] = {1, 3, 2, 4};
  for (int row = 0; row < 4; ++row) {
    double sum = 0;
    for (int j = 0; j < 4; ++j) {
      if (j >= valid[row]) {
        EXPECT_EQ(w[row * 4 + j], 0.0f);
      }
      sum += w[row * 4 + j];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

TEST(MaskedSoftmaxOp, WithoutMaskIsSoftmax) {
  const Tensor s = randn({3, 2, 5, 7});
  EXPECT_LT(max_abs_diff(masked_softmax(s, {}), softmax(s, -1)), 1e-7);
}

TEST(MaskedSoftmaxOp, MaskFormsAgree) {
  // The same key padding as lengths, as an allowed mask and as an additive -inf mask.
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor s = randn({2, 3, 4, 5});
  AttentionMask by_length, by_bool, by_add;
  by_length.key_lengths = lengths({3, 5}, {2});
  by_bool.allowed = from_vector(std::vector<double>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, {2, 1, 1, 5});
  by_add.additive =
      from_vector(std::vector<double>{0, 0, 0, -inf, -inf, 0, 0, 0, 0, 0}, {2, 1, 1, 5});
  AttentionMask by_valid;
  by_valid.key_valid = from_vector(std::vector<double>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, {2, 5});
  const Tensor want = masked_softmax(s, by_length);
  EXPECT_EQ(max_abs_diff(masked_softmax(s, by_valid), want), 0.0);
  EXPECT_EQ(max_abs_diff(masked_softmax(s, by_bool), want), 0.0);
  EXPECT_EQ(max_abs_diff(masked_softmax(s, by_add), want), 0.0);
}

TEST(MaskedSoftmaxOp, FullyMaskedRowsGiveZerosAndZeroGradients) {
  Tensor s = leaf64({2, 3, 4}, 3);
  AttentionMask m;
  m.key_lengths = lengths({0, 2}, {2});
  const Tensor w = masked_softmax(s, m);
  const auto v = w.to_vector<double>();
  for (int n = 0; n < 12; ++n) EXPECT_EQ(v[n], 0.0) << n;
  autograd::backward(sum(w * randn({2, 3, 4}, DType::f64)));
  const auto g = s.grad().to_vector<double>();
  for (int n = 0; n < 12; ++n) EXPECT_EQ(g[n], 0.0) << n;
  for (double x : g) EXPECT_FALSE(std::isnan(x));
}

TEST(MaskedSoftmaxOp, Gradcheck) {
  AttentionMask three;
  three.key_lengths = lengths({2, 0, 5}, {3});
  three.causal = true;
  auto f3 = [&](const std::vector<Tensor>& in) { return masked_softmax(in[0], three); };
  EXPECT_GRADCHECK(f3, (std::vector<Tensor>{leaf64({3, 4, 5}, 1)}));

  AttentionMask four;
  four.allowed = from_vector(std::vector<double>{1, 0, 1, 1, 1, 1, 0, 1}, {2, 4});
  four.additive = from_vector(std::vector<double>{0.5, -1, 0, 2}, {4});
  auto f4 = [&](const std::vector<Tensor>& in) { return masked_softmax(in[0], four); };
  EXPECT_GRADCHECK(f4, (std::vector<Tensor>{leaf64({2, 3, 2, 4}, 2)}));
}

TEST(MaskedSoftmaxOp, ErrorsNameTheProblem) {
  const Tensor s = randn({2, 3, 4});
  auto message = [&](const AttentionMask& m) {
    try {
      masked_softmax(s, m);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  AttentionMask m;
  m.key_lengths = lengths({1, 5}, {2});
  EXPECT_NE(message(m).find("key_lengths[1] = 5 is outside [0, 4]"), std::string::npos)
      << message(m);
  m.key_lengths = lengths({1, 2, 3}, {3});
  EXPECT_NE(message(m).find("expected [2] or [2, 3]"), std::string::npos) << message(m);
  m.key_lengths = from_vector(std::vector<double>{1, 2}, {2});
  EXPECT_NE(message(m).find("must be int64"), std::string::npos) << message(m);
  m = {};
  m.allowed = ones({2, 4});
  EXPECT_NE(message(m).find("does not broadcast"), std::string::npos) << message(m);
  m = {};
  m.additive = from_vector(std::vector<std::int64_t>{0, 0, 0, 0}, {4});
  EXPECT_NE(message(m).find("additive mask must be floating"), std::string::npos) << message(m);
  EXPECT_THROW(masked_softmax(randn({4, 4}), {}), Error);
}

}  // namespace
}  // namespace qkv
