#include "nn/feed_forward.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "ops/activation.h"
#include "ops/linear.h"

namespace qkv::nn {
namespace {

std::vector<std::string> parameter_names(const Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, t] : m.named_parameters()) out.push_back(n);
  return out;
}

TEST(FeedForward, NamesLikeTorchTransformerLayers) {
  FeedForward ffn(8, 32);
  EXPECT_EQ(parameter_names(ffn), (std::vector<std::string>{"linear1.weight", "linear1.bias",
                                                            "linear2.weight", "linear2.bias"}));
  EXPECT_EQ(ffn.linear1().weight().shape(), (Shape{32, 8}));
  EXPECT_EQ(ffn.linear2().weight().shape(), (Shape{8, 32}));
  EXPECT_EQ(ffn.num_parameters(), 32 * 8 + 32 + 8 * 32 + 8);
  EXPECT_EQ(ffn.extra_repr(), "d=8, d_ff=32, activation=relu");
  EXPECT_EQ(ffn.named_children()[1].first, "dropout");
}

TEST(FeedForward, DropoutOnlyInTraining) {
  Generator gen(5);
  FeedForward ffn(8, 64, Activation::relu, 0.5, gen);
  const Tensor x = randn({4, 8});
  const auto train1 = ffn.forward(x).to_vector<float>();
  const auto train2 = ffn.forward(x).to_vector<float>();
  EXPECT_NE(train1, train2);  // a new mask each call
  ffn.eval();
  EXPECT_FALSE(ffn.dropout().is_training());
  const auto eval1 = ffn.forward(x).to_vector<float>();
  EXPECT_EQ(eval1, ffn.forward(x).to_vector<float>());
  const auto& l1 = ffn.linear1();
  const auto& l2 = ffn.linear2();
  EXPECT_EQ(
      eval1,
      linear(relu(linear(x, l1.weight(), l1.bias())), l2.weight(), l2.bias()).to_vector<float>());
}

TEST(FeedForward, ComputesLinearActLinear) {
  const Tensor x = randn({2, 3, 8});
  for (Activation act : {Activation::relu, Activation::gelu, Activation::gelu_tanh}) {
    FeedForward ffn(8, 16, act);
    const auto& l1 = ffn.linear1();
    const auto& l2 = ffn.linear2();
    const Tensor h = linear(x, l1.weight(), l1.bias());
    const Tensor a = act == Activation::relu ? relu(h) : gelu(h, act == Activation::gelu_tanh);
    const Tensor want = linear(a, l2.weight(), l2.bias());
    const Tensor got = ffn.forward(x);
    EXPECT_EQ(got.shape(), (Shape{2, 3, 8}));
    EXPECT_EQ(got.to_vector<float>(), want.to_vector<float>()) << activation_name(act);
  }
}

TEST(FeedForward, GradcheckWholeModuleFloat64) {
  for (Activation act : {Activation::relu, Activation::gelu, Activation::gelu_tanh}) {
    SCOPED_TRACE(activation_name(act));
    Generator gen(3);
    FeedForward ffn(4, 6, act, 0.0, gen);
    ffn.to(DType::f64);
    const Tensor x = testing::leaf64({2, 3, 4}, 4);
    EXPECT_MODULE_GRADCHECK(ffn, [&] { return ffn.forward(x); }, {x});
  }
}

}  // namespace
}  // namespace qkv::nn
