// DotProductAttention and AdditiveAttention, the single-head scoring layers.

#include <gtest/gtest.h>

#include <cmath>

#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "nn/additive_attention.h"
#include "nn/dot_product_attention.h"
#include "ops/arith.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/shape.h"
#include "ops/softmax.h"

namespace qkv::nn {
namespace {

using testing::max_abs_diff;

TEST(DotProductAttention, IsScaledSoftmaxOfDotProducts) {
  DotProductAttention att;
  const Tensor q = randn({2, 3, 8}), k = randn({2, 5, 8}), v = randn({2, 5, 4});
  const Tensor w = softmax(matmul(q, transpose(k, 1, 2)) * (1 / std::sqrt(8.0)), -1);
  const auto out = att.forward(q, k, v, {}, true);
  EXPECT_LT(max_abs_diff(out.weights, w), 1e-6);
  EXPECT_LT(max_abs_diff(out.output, matmul(w, v)), 1e-6);
  EXPECT_FALSE(att.forward(q, k, v).weights.defined());
}

TEST(DotProductAttention, MasksAddressBatchQueriesKeys) {
  DotProductAttention att;
  const Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 4});
  AttentionMask lengths, allowed;
  lengths.key_lengths = from_vector(std::vector<std::int64_t>{2, 4}, {2});
  std::vector<double> a(2 * 3 * 5, 0);
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < (b ? 4 : 2); ++j) a[(b * 3 + i) * 5 + j] = 1;
  allowed.allowed = from_vector(a, {2, 3, 5});  // [B, Tq, Tk]
  const auto x = att.forward(q, k, v, lengths, true), y = att.forward(q, k, v, allowed, true);
  EXPECT_EQ(max_abs_diff(x.weights, y.weights), 0.0);
  EXPECT_EQ(x.weights.to_vector<float>()[2], 0.0f);
}

TEST(DotProductAttention, Gradcheck) {
  DotProductAttention att;
  AttentionMask mask;
  mask.key_lengths = from_vector(std::vector<std::int64_t>{1, 3, 2, 0}, {2, 2});
  auto f = [&](const std::vector<Tensor>& in) {
    return att.forward(in[0], in[1], in[2], mask).output;
  };
  EXPECT_GRADCHECK(
      f, (std::vector<Tensor>{testing::leaf64({2, 2, 3}, 1), testing::leaf64({2, 3, 3}, 2),
                              testing::leaf64({2, 3, 2}, 3)}));
}

TEST(AdditiveAttention, ParametersAndShapes) {
  AdditiveAttention att(20, 2, 8);
  std::vector<std::pair<std::string, Shape>> p;
  for (const auto& [n, t] : att.named_parameters()) p.emplace_back(n, t.shape());
  EXPECT_EQ(p, (std::vector<std::pair<std::string, Shape>>{
                   {"W_q.weight", {8, 20}}, {"W_k.weight", {8, 2}}, {"w_v.weight", {1, 8}}}));
  // d2l's example: 2 batches, one query each, 10 keys of width 2, 4-wide values.
  AttentionMask mask;
  mask.key_lengths = from_vector(std::vector<std::int64_t>{2, 6}, {2});
  const Tensor values = view::reshape(arange(0, 40, 1), {1, 10, 4});
  const auto out = att.forward(randn({2, 1, 20}), ones({2, 10, 2}),
                               view::expand(values, {2, 10, 4}), mask, true);
  EXPECT_EQ(out.output.shape(), (Shape{2, 1, 4}));
  // Equal keys give equal scores: uniform weights over the valid keys.
  const auto w = out.weights.to_vector<float>();
  EXPECT_NEAR(w[0], 0.5, 1e-6);
  EXPECT_EQ(w[2], 0.0f);
  EXPECT_NEAR(w[10 + 5], 1 / 6.0, 1e-6);
  EXPECT_NEAR(out.output.to_vector<float>()[0], 2.0, 1e-5);  // mean of rows 0 and 1, column 0
  EXPECT_THROW(att.forward(randn({2, 1, 19}), ones({2, 10, 2}), ones({2, 10, 4})), Error);
  EXPECT_THROW(att.forward(randn({2, 1, 20}), ones({2, 10, 2}), ones({2, 9, 4})), Error);
}

TEST(AdditiveAttention, Gradcheck) {
  Generator gen(4);
  AdditiveAttention att(3, 2, 5, 0, gen);
  att.to(DType::f64);
  const Tensor q = testing::leaf64({2, 2, 3}, 1), k = testing::leaf64({2, 4, 2}, 2),
               v = testing::leaf64({2, 4, 3}, 3);
  AttentionMask mask;
  mask.key_lengths = from_vector(std::vector<std::int64_t>{3, 0}, {2});
  EXPECT_MODULE_GRADCHECK(att, [&] { return att.forward(q, k, v, mask).output; }, {q, k, v});
}

TEST(AdditiveAttention, DropoutOnTheWeightsOnlyInTraining) {
  Generator gen(9);
  AdditiveAttention att(4, 4, 6, 0.5, gen);
  const Tensor q = randn({2, 3, 4}), k = randn({2, 7, 4}), v = randn({2, 7, 4});
  EXPECT_GT(max_abs_diff(att.forward(q, k, v).output, att.forward(q, k, v).output), 1e-4);
  att.eval();
  EXPECT_EQ(max_abs_diff(att.forward(q, k, v).output, att.forward(q, k, v).output), 0.0);
}

}  // namespace
}  // namespace qkv::nn
