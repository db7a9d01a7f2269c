#include "nn/embedding.h"

#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

TEST(EmbeddingModule, StandardNormalInitWithZeroPaddingRow) {
  Generator gen(1);
  Embedding emb(500, 64, 3, gen);
  EXPECT_EQ(emb.weight().shape(), (Shape{500, 64}));
  EXPECT_EQ(emb.named_parameters()[0].first, "weight");
  EXPECT_EQ(view::select(emb.weight(), 0, 3).to_vector<float>(), std::vector<float>(64, 0.f));
  double mean = 0, sq = 0;
  for (float v : emb.weight().to_vector<float>()) {
    mean += v;
    sq += double(v) * v;
  }
  const double n = 500.0 * 63;  // the zero row aside
  mean /= n;
  EXPECT_NEAR(mean, 0, 0.02);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 1, 0.02);
  // A negative padding_idx counts from the end.
  EXPECT_EQ(Embedding(10, 2, -1).padding_idx(), 9);
  EXPECT_FALSE(Embedding(10, 2).padding_idx().has_value());
  EXPECT_THROW(Embedding(10, 2, 10), Error);
  EXPECT_THROW(Embedding(0, 2), Error);
  EXPECT_EQ(Embedding(10, 2, 4).extra_repr(), "10, 2, padding_idx=4");
}

TEST(EmbeddingModule, LooksUpRows) {
  Embedding emb(6, 3);
  const Tensor ids = from_vector(std::vector<std::int64_t>{5, 0, 2, 2}, {2, 2});
  const Tensor out = emb.forward(ids);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  const auto w = emb.weight().to_vector<float>(), o = out.to_vector<float>();
  const std::int64_t rows[] = {5, 0, 2, 2};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_EQ(o[i * 3 + j], w[rows[i] * 3 + j]);
  EXPECT_THROW(emb.forward(from_vector(std::vector<std::int64_t>{6}, {1})), Error);
  EXPECT_THROW(emb.forward(zeros({2})), Error);
}

TEST(EmbeddingModule, PaddingRowGetsNoGradient) {
  Embedding emb(4, 2, 1);
  const Tensor ids = from_vector(std::vector<std::int64_t>{1, 3, 1, 0, 3}, {5});
  autograd::backward(sum(emb.forward(ids)));
  EXPECT_EQ(emb.weight().grad().to_vector<float>(), (std::vector<float>{1, 1, 0, 0, 0, 0, 2, 2}));
}

TEST(EmbeddingModule, GradcheckFloat64) {
  Generator gen(2);
  Embedding emb(5, 3, 4, gen);
  emb.to(DType::f64);
  // The padding row (4) is left out: it is read but by design gets no gradient.
  const Tensor ids = from_vector(std::vector<std::int64_t>{0, 3, 2, 0, 1, 2}, {2, 3});
  EXPECT_MODULE_GRADCHECK(emb, [&] { return emb.forward(ids); });
}

}  // namespace
}  // namespace qkv::nn
