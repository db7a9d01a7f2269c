#include "ops/embedding.h"

#include <gtest/gtest.h>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/reduce.h"

namespace qkv {
namespace {

using testing::leaf64;

TEST(EmbeddingOp, LooksUpRowsForAnyIdShape) {
  Tensor w = view::reshape(arange(0.0, 12.0, 1.0), {4, 3});
  Tensor ids = from_vector(std::vector<std::int64_t>{3, 0, 3, 1}, {2, 2});
  Tensor out = embedding(ids, w);
  EXPECT_EQ(out.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5}));
}

TEST(EmbeddingOp, GradientAddsRepeatsAndSkipsPadding) {
  Tensor w = leaf64({4, 2}, 1);
  Tensor ids = from_vector(std::vector<std::int64_t>{3, 0, 3, 1, 0}, {5});
  autograd::backward(sum(embedding(ids, w, 0)));
  // Row 3 is used twice, row 1 once, row 2 never, row 0 is padding.
  EXPECT_EQ(w.grad().to_vector<double>(), (std::vector<double>{0, 0, 1, 1, 0, 0, 2, 2}));
}

TEST(EmbeddingOp, Gradcheck) {
  Tensor ids = from_vector(std::vector<std::int64_t>{2, 4, 2, 0, 1, 4}, {2, 3});
  auto plain = [&](const std::vector<Tensor>& in) { return embedding(ids, in[0]); };
  // The padding row's gradient is 0 by definition, not by calculus (the output
  // still reads it), so here padding_idx -2 (row 3) is one the ids never use:
  // this checks that skipping it leaves the other rows right.
  auto padded = [&](const std::vector<Tensor>& in) { return embedding(ids, in[0], -2); };
  EXPECT_GRADCHECK(plain, (std::vector<Tensor>{leaf64({5, 3}, 1)}));
  EXPECT_GRADCHECK(padded, (std::vector<Tensor>{leaf64({5, 3}, 2)}));
}

TEST(EmbeddingOp, NonContiguousIdsAndWeight) {
  Tensor w = view::transpose(randn({6, 5}), 0, 1);  // [5, 6], strided
  Tensor ids =
      view::transpose(from_vector(std::vector<std::int64_t>{0, 4, 2, 1, 3, 4}, {2, 3}), 0, 1);
  EXPECT_EQ(embedding(ids, w).to_vector<float>(),
            embedding(view::contiguous(ids), view::contiguous(w)).to_vector<float>());
}

TEST(EmbeddingOp, Errors) {
  Tensor w = randn({5, 3});
  try {
    embedding(from_vector(std::vector<std::int64_t>{1, 7}, {2}), w);
    FAIL() << "no error for id 7";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("id 7"), std::string::npos) << m;
    EXPECT_NE(m.find("[0, 5)"), std::string::npos) << m;
  }
  EXPECT_THROW(embedding(from_vector(std::vector<std::int64_t>{-1}, {1}), w), Error);
  EXPECT_THROW(embedding(full({2}, 1.0), w), Error);                     // float ids
  EXPECT_THROW(embedding(full({2}, 1, DType::i64), randn({5})), Error);  // 1-d table
  EXPECT_THROW(embedding(full({2}, 1, DType::i64), w, 5), Error);        // padding_idx
}

}  // namespace
}  // namespace qkv
