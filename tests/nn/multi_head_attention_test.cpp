#include "nn/multi_head_attention.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv::nn {
namespace {

using testing::max_abs_diff;

std::vector<std::pair<std::string, Shape>> parameter_shapes(const Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [n, t] : m.named_parameters()) out.emplace_back(n, t.shape());
  return out;
}

TEST(MultiHeadAttention, ParametersPerHeadLayout) {
  MultiHeadAttention mha({.d_model = 16, .num_heads = 4});
  using P = std::vector<std::pair<std::string, Shape>>;
  EXPECT_EQ(parameter_shapes(mha), (P{{"q_proj.weight", {16, 16}},
                                      {"q_proj.bias", {16}},
                                      {"k_proj.weight", {16, 16}},
                                      {"k_proj.bias", {16}},
                                      {"v_proj.weight", {16, 16}},
                                      {"v_proj.bias", {16}},
                                      {"out_proj.weight", {16, 16}},
                                      {"out_proj.bias", {16}}}));
  EXPECT_EQ(mha.extra_repr(), "d_model=16, num_heads=4, num_kv_heads=4, bias=true, dropout=0");
  // GQA and MQA shrink the key and value projections, and with them the cache.
  MultiHeadAttention gqa({.d_model = 16, .num_heads = 4, .num_kv_heads = 2});
  EXPECT_EQ(gqa.k_proj().weight().shape(), (Shape{8, 16}));
  MultiHeadAttention mqa(
      {.d_model = 16, .num_heads = 4, .num_kv_heads = 1, .bias = false, .kdim = 6, .vdim = 10});
  EXPECT_EQ(parameter_shapes(mqa), (P{{"q_proj.weight", {16, 16}},
                                      {"k_proj.weight", {4, 6}},
                                      {"v_proj.weight", {4, 10}},
                                      {"out_proj.weight", {16, 16}}}));
  // Biases start at zero, as PyTorch's.
  EXPECT_EQ(max_abs_diff(mha.q_proj().bias(), zeros({16})), 0.0);
  EXPECT_EQ(max_abs_diff(mha.out_proj().bias(), zeros({16})), 0.0);
}

TEST(MultiHeadAttention, ConfigErrorsNameTheValues) {
  auto message = [](const MultiHeadAttentionConfig& c) {
    try {
      MultiHeadAttention m(c);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({.d_model = 10, .num_heads = 4}),
            "MultiHeadAttention: num_heads 4 does not divide d_model 10");
  EXPECT_EQ(message({.d_model = 16, .num_heads = 4, .num_kv_heads = 3}),
            "MultiHeadAttention: 3 key/value heads do not divide 4 query heads");
  EXPECT_EQ(message({.d_model = 16, .num_heads = 4, .dropout = 1}),
            "MultiHeadAttention: dropout 1 is outside [0, 1)");
  MultiHeadAttention mha({.d_model = 8, .num_heads = 2, .kdim = 5});
  EXPECT_THROW(mha.forward(randn({2, 3, 8}), randn({2, 4, 8}), randn({2, 4, 8})), Error);
  EXPECT_THROW(mha.forward(randn({2, 3, 7})), Error);
}

TEST(MultiHeadAttention, GradcheckSelfAttentionGqaWithMasks) {
  Generator gen(1);
  MultiHeadAttention mha({.d_model = 8, .num_heads = 4, .num_kv_heads = 2}, gen);
  mha.to(DType::f64);
  const Tensor x = testing::leaf64({2, 4, 8}, 2);
  MultiHeadAttentionOptions opt;
  opt.mask.causal = true;
  opt.mask.key_lengths = from_vector(std::vector<std::int64_t>{4, 2}, {2});
  EXPECT_MODULE_GRADCHECK(mha, [&] { return mha.forward(x, opt).output; }, {x});
}

TEST(MultiHeadAttention, GradcheckCrossAttentionKdimVdim) {
  Generator gen(3);
  MultiHeadAttention mha({.d_model = 6, .num_heads = 2, .num_kv_heads = 1, .kdim = 4, .vdim = 5},
                         gen);
  mha.to(DType::f64);
  const Tensor q = testing::leaf64({2, 3, 6}, 4), k = testing::leaf64({2, 5, 4}, 5),
               v = testing::leaf64({2, 5, 5}, 6);
  EXPECT_MODULE_GRADCHECK(mha, [&] { return mha.forward(q, k, v).output; }, {q, k, v});
}

TEST(MultiHeadAttention, IncrementalDecodingWithCacheEqualsFullCausalPass) {
  for (std::int64_t g : {4, 2, 1}) {
    Generator gen(7);
    MultiHeadAttention mha({.d_model = 16, .num_heads = 4, .num_kv_heads = g}, gen);
    const Tensor x = randn({3, 6, 16});
    MultiHeadAttentionOptions full;
    full.mask.causal = true;
    const Tensor want = mha.forward(x, full).output;
    KeyValueCache cache;
    MultiHeadAttentionOptions step;
    step.mask.causal = true;
    step.cache = &cache;
    for (std::int64_t t = 0; t < 6; ++t) {
      const Tensor xt = view::narrow(x, 1, t, 1);
      const Tensor got = mha.forward(xt, step).output;
      EXPECT_LT(max_abs_diff(got, view::narrow(want, 1, t, 1)), 1e-6) << "g " << g << " t " << t;
      EXPECT_EQ(cache.keys.shape(), (Shape{3, g, t + 1, 4}));
    }
    // Two new positions at once: causal alignment at the bottom right.
    KeyValueCache two;
    step.cache = &two;
    mha.forward(view::narrow(x, 1, 0, 4), step);
    EXPECT_LT(max_abs_diff(mha.forward(view::narrow(x, 1, 4, 2), step).output,
                           view::narrow(want, 1, 4, 2)),
              1e-6);
  }
}

TEST(MultiHeadAttention, FixedCacheProjectsCrossAttentionMemoryOnce) {
  MultiHeadAttention mha({.d_model = 8, .num_heads = 2});
  const Tensor memory = randn({2, 5, 8}), y = randn({2, 3, 8});
  MultiHeadAttentionOptions plain;
  plain.mask.key_lengths = from_vector(std::vector<std::int64_t>{5, 3}, {2});
  const Tensor want = mha.forward(y, memory, memory, plain).output;
  KeyValueCache cache;
  cache.fixed = true;
  MultiHeadAttentionOptions opt = plain;
  opt.cache = &cache;
  const Tensor first = mha.forward(view::narrow(y, 1, 0, 1), memory, memory, opt).output;
  const Tensor keys = cache.keys;
  EXPECT_LT(max_abs_diff(first, view::narrow(want, 1, 0, 1)), 1e-6);
  // Later steps pass no memory at all: the cached projections serve.
  for (std::int64_t t = 1; t < 3; ++t) {
    const Tensor got = mha.forward(view::narrow(y, 1, t, 1), Tensor(), Tensor(), opt).output;
    EXPECT_LT(max_abs_diff(got, view::narrow(want, 1, t, 1)), 1e-6);
  }
  EXPECT_TRUE(cache.keys.is_same(keys));
  EXPECT_EQ(cache.length(), 5);
}

TEST(MultiHeadAttention, WeightsPerHeadOrAveraged) {
  MultiHeadAttention mha({.d_model = 8, .num_heads = 2});
  const Tensor x = randn({2, 4, 8});
  MultiHeadAttentionOptions opt;
  opt.need_weights = true;
  opt.average_weights = false;
  opt.mask.causal = true;
  const auto per_head = mha.forward(x, opt);
  EXPECT_EQ(per_head.weights.shape(), (Shape{2, 2, 4, 4}));
  opt.average_weights = true;
  const auto avg = mha.forward(x, opt);
  EXPECT_EQ(avg.weights.shape(), (Shape{2, 4, 4}));
  EXPECT_LT(max_abs_diff(avg.weights, mean(per_head.weights, {1})), 1e-7);
  EXPECT_LT(max_abs_diff(sum(avg.weights, {-1}), ones({2, 4})), 1e-6);
  // Asking for weights does not change the output.
  EXPECT_EQ(max_abs_diff(avg.output, mha.forward(x, {.mask = opt.mask}).output), 0.0);
  // Nor does the kernel.
  opt.kernel = AttentionKernel::reference;
  EXPECT_LT(max_abs_diff(mha.forward(x, opt).output, avg.output), 1e-6);
}

TEST(MultiHeadAttention, DropoutOnlyInTraining) {
  Generator gen(11);
  MultiHeadAttention mha({.d_model = 8, .num_heads = 2, .dropout = 0.5}, gen);
  const Tensor x = randn({2, 6, 8});
  const Tensor a = mha.forward(x).output, b = mha.forward(x).output;
  EXPECT_GT(max_abs_diff(a, b), 1e-3);  // a new mask each call
  mha.eval();
  EXPECT_EQ(max_abs_diff(mha.forward(x).output, mha.forward(x).output), 0.0);
}

}  // namespace
}  // namespace qkv::nn
