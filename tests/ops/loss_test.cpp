#include "ops/loss.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "ops/softmax.h"

namespace qkv {
namespace {

using testing::leaf64;
using testing::max_abs_diff;

Tensor logits_3x4() {
  Tensor x = from_vector(std::vector<double>{0.5, -1, 2, 0, 1, 1, 1, 1, -2, 0.25, 0.75, 3}, {3, 4},
                         DType::f64);
  x.set_requires_grad(true);
  return x;
}

Tensor targets_3() { return from_vector(std::vector<std::int64_t>{2, -100, 0}, {3}); }

struct TorchCase {
  Reduction reduction;
  double smoothing;
  std::vector<double> loss;
  std::vector<double> grad_row0;  // d sum(loss) / d logits[0, :]
};

// Values printed by PyTorch 1.13: F.cross_entropy(x, t, reduction=..., label_smoothing=...)
// and x.grad after loss.sum().backward(), for the logits and targets above.
TEST(CrossEntropyOp, MatchesTorchValues) {
  const std::vector<TorchCase> cases{
      {Reduction::none,
       0.0,
       {0.342349582389822, 0, 5.162174147919946},
       {0.158444709515, 0.035353793409, -0.289900077114, 0.09610157419}},
      {Reduction::none,
       0.1,
       {0.504849582389822, 0, 4.912174147919946},
       {0.133444709515, 0.010353793409, -0.214900077114, 0.07110157419}},
      {Reduction::mean,
       0.0,
       {2.752261865154884},
       {0.079222354757, 0.017676896704, -0.144950038557, 0.048050787095}},
      {Reduction::mean,
       0.1,
       {2.7085118651548843},
       {0.066722354757, 0.005176896704, -0.107450038557, 0.035550787095}},
      {Reduction::sum,
       0.0,
       {5.504523730309768},
       {0.158444709515, 0.035353793409, -0.289900077114, 0.09610157419}},
      {Reduction::sum,
       0.1,
       {5.417023730309769},
       {0.133444709515, 0.010353793409, -0.214900077114, 0.07110157419}},
  };
  for (const auto& tc : cases) {
    Tensor x = logits_3x4();
    Tensor loss =
        cross_entropy(x, targets_3(), {.label_smoothing = tc.smoothing, .reduction = tc.reduction});
    const auto got = loss.to_vector<double>();
    ASSERT_EQ(got.size(), tc.loss.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], tc.loss[i], 1e-14);
    autograd::backward(sum(loss));
    const auto g = x.grad().to_vector<double>();
    for (int j = 0; j < 4; ++j) {
      EXPECT_NEAR(g[j], tc.grad_row0[j], 1e-12);
      EXPECT_EQ(g[4 + j], 0.0);  // the ignored row
    }
  }
}

TEST(CrossEntropyOp, AllIgnoredMeanIsNanWithZeroGradient) {
  Tensor x = logits_3x4();
  Tensor loss = cross_entropy(x, full({3}, -100, DType::i64), {.label_smoothing = 0.1});
  EXPECT_TRUE(std::isnan(loss.item<double>()));
  autograd::backward(loss);
  for (double g : x.grad().to_vector<double>()) EXPECT_EQ(g, 0.0);
  EXPECT_EQ(
      cross_entropy(x, full({3}, -100, DType::i64), {.reduction = Reduction::sum}).item<double>(),
      0.0);
}

// [B, T, C] logits with [B, T] targets are rows like any other; a strided view
// of the logits gives what its dense copy gives.
TEST(CrossEntropyOp, BatchedAndNonContiguousLogits) {
  Tensor x = view::transpose(randn({2, 7, 3}), 1, 2);  // [2, 3, 7], strided
  Tensor t = from_vector(std::vector<std::int64_t>{0, 6, 3, 5, -100, 1}, {2, 3});
  const CrossEntropyOptions o{.label_smoothing = 0.05, .reduction = Reduction::none};
  Tensor batched = cross_entropy(x, t, o);
  EXPECT_EQ(batched.shape(), (Shape{2, 3}));
  Tensor flat = cross_entropy(view::reshape(view::contiguous(x), {6, 7}), view::reshape(t, {6}), o);
  EXPECT_EQ(max_abs_diff(view::reshape(batched, {6}), flat), 0.0);
}

// The fused kernel against the same maths from primitive ops: values and gradients.
TEST(CrossEntropyOp, MatchesComposedOps) {
  Tensor a = leaf64({5, 6}, 1), b = view::clone(a);
  b.set_requires_grad(true);
  const std::vector<std::int64_t> tv{3, 0, -100, 5, 2};
  const double eps = 0.2;
  std::vector<double> weights(30, 0.0);  // (1 - eps) one-hot + eps / C, 0 on the ignored row
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 6; ++j)
      if (tv[i] != -100) weights[i * 6 + j] = (j == tv[i] ? 1 - eps : 0) + eps / 6;
  Tensor fused = cross_entropy(a, from_vector(tv, {5}), {.label_smoothing = eps});
  Tensor composed = -sum(log_softmax(b) * from_vector(weights, {5, 6}, DType::f64)) / 4.0;
  EXPECT_NEAR(fused.item<double>(), composed.item<double>(), 1e-14);
  autograd::backward(fused);
  autograd::backward(composed);
  EXPECT_LT(max_abs_diff(a.grad(), b.grad()), 1e-15);
}

TEST(CrossEntropyOp, Gradcheck) {
  const Tensor t = from_vector(std::vector<std::int64_t>{3, -100, 0, 4}, {4});
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum})
    for (double eps : {0.0, 0.1}) {
      auto f = [&](const std::vector<Tensor>& in) {
        return cross_entropy(in[0], t, {.label_smoothing = eps, .reduction = r});
      };
      EXPECT_GRADCHECK(f, (std::vector<Tensor>{leaf64({4, 5}, 7)}));
    }
}

TEST(CrossEntropyOp, Errors) {
  Tensor x = randn({3, 4});
  auto message = [&](const Tensor& t, const CrossEntropyOptions& o = {}) {
    try {
      cross_entropy(x, t, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(full({3}, 1.0)).find("int64"), std::string::npos);  // float targets
  EXPECT_NE(message(full({4}, 1, DType::i64)).find("[4]"), std::string::npos);
  EXPECT_NE(message(full({3, 1}, 1, DType::i64)).find("[3, 1]"), std::string::npos);
  const std::string out = message(from_vector(std::vector<std::int64_t>{0, 4, 1}, {3}));
  EXPECT_NE(out.find("target 4"), std::string::npos) << out;
  EXPECT_NE(out.find("4 classes"), std::string::npos) << out;
  EXPECT_NE(message(from_vector(std::vector<std::int64_t>{0, -1, 1}, {3})).find("target -1"),
            std::string::npos);
  // -1 is fine when it is the ignore_index.
  EXPECT_EQ(message(from_vector(std::vector<std::int64_t>{0, -1, 1}, {3}), {.ignore_index = -1}),
            "no error");
  EXPECT_NE(message(full({3}, 1, DType::i64), {.label_smoothing = 1.5}).find("1.5"),
            std::string::npos);
  EXPECT_THROW(cross_entropy(randn({0}), full({}, 0, DType::i64)), Error);
}

TEST(MseLossOp, ValuesAndReductions) {
  Tensor p = from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::f64);
  Tensor t = from_vector(std::vector<double>{0, 2, 5, 1}, {2, 2}, DType::f64);
  EXPECT_EQ(mse_loss(p, t, Reduction::none).to_vector<double>(), (std::vector<double>{1, 0, 4, 9}));
  EXPECT_EQ(mse_loss(p, t, Reduction::sum).item<double>(), 14.0);
  EXPECT_EQ(mse_loss(p, t).item<double>(), 3.5);
}

TEST(MseLossOp, Gradcheck) {
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    auto f = [r](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], r); };
    EXPECT_GRADCHECK(f, (std::vector<Tensor>{leaf64({3, 4}, 1), leaf64({3, 4}, 2)}));
  }
}

TEST(MseLossOp, Errors) {
  EXPECT_THROW(mse_loss(randn({3}), randn({4})), Error);
  EXPECT_THROW(mse_loss(randn({3}), randn({3}, DType::f64)), Error);
  EXPECT_THROW(mse_loss(randn({3}), full({3}, 1, DType::i64)), Error);
}

}  // namespace
}  // namespace qkv
