#include "ops/layer_norm.h"

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv {
namespace {

using testing::leaf64;
using testing::max_abs_diff;

Tensor copy_leaf(const Tensor& t) {
  Tensor c = view::clone(t);
  c.set_requires_grad(true);
  return c;
}

// The fused op against the same maths from primitive ops: values and all three gradients.
TEST(LayerNormOp, MatchesComposedOps) {
  Tensor x = leaf64({2, 3, 8}, 1), w = leaf64({8}, 2), b = leaf64({8}, 3);
  Tensor x2 = copy_leaf(x), w2 = copy_leaf(w), b2 = copy_leaf(b);
  Tensor r = randn({2, 3, 8}, DType::f64);
  Tensor fused = layer_norm(x, w, b, 1e-5);
  Tensor centred = x2 - mean(x2, {-1}, true);
  Tensor composed = centred / sqrt(mean(square(centred), {-1}, true) + 1e-5) * w2 + b2;
  EXPECT_LT(max_abs_diff(fused, composed), 1e-14);
  autograd::backward(sum(fused * r));
  autograd::backward(sum(composed * r));
  EXPECT_LT(max_abs_diff(x.grad(), x2.grad()), 1e-13);
  EXPECT_LT(max_abs_diff(w.grad(), w2.grad()), 1e-13);
  EXPECT_LT(max_abs_diff(b.grad(), b2.grad()), 1e-13);
}

TEST(LayerNormOp, Gradcheck) {
  auto affine = [](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2]); };
  auto plain = [](const std::vector<Tensor>& in) {
    return layer_norm(in[0], Tensor(), Tensor(), 1e-3);
  };
  auto weight_only = [](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], {}); };
  EXPECT_GRADCHECK(affine,
                   (std::vector<Tensor>{leaf64({3, 7}, 1), leaf64({7}, 2), leaf64({7}, 3)}));
  EXPECT_GRADCHECK(plain, (std::vector<Tensor>{leaf64({2, 2, 5}, 4)}));
  EXPECT_GRADCHECK(weight_only, (std::vector<Tensor>{leaf64({4, 6}, 5), leaf64({6}, 6)}));
}

TEST(LayerNormOp, NormalisesRows) {
  Tensor x = randn({5, 40}) * 3.0 + 2.0;
  const auto y = layer_norm(x, Tensor(), Tensor(), 0).to_vector<float>();
  for (int r = 0; r < 5; ++r) {
    double s = 0, sq = 0;
    for (int j = 0; j < 40; ++j) {
      s += y[r * 40 + j];
      sq += y[r * 40 + j] * y[r * 40 + j];
    }
    EXPECT_NEAR(s / 40, 0.0, 1e-6);
    EXPECT_NEAR(sq / 40, 1.0, 1e-5);
  }
}

TEST(LayerNormOp, NonContiguousInputEqualsContiguousCopy) {
  Tensor x = view::transpose(randn({33, 4, 20}), 0, 2);  // [20, 4, 33], strided
  Tensor w = randn({33}), b = randn({33});
  EXPECT_EQ(max_abs_diff(layer_norm(x, w, b), layer_norm(view::contiguous(x), w, b)), 0.0);
}

TEST(LayerNormOp, Errors) {
  Tensor x = randn({4, 6});
  EXPECT_THROW(layer_norm(x, randn({5}), Tensor()), Error);
  EXPECT_THROW(layer_norm(x, Tensor(), randn({6, 1})), Error);
  EXPECT_THROW(layer_norm(x, randn({6}, DType::f64), Tensor()), Error);
  EXPECT_THROW(layer_norm(scalar_tensor(1.0), Tensor(), Tensor()), Error);
  EXPECT_THROW(layer_norm(x, Tensor(), Tensor(), -1.0), Error);
}

}  // namespace
}  // namespace qkv
