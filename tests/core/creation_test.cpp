#include "core/creation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/view.h"

namespace qkv {
namespace {

TEST(Arange, StepsAndLengths) {
  EXPECT_EQ(arange(0.0, 1.0, 0.25).to_vector<double>(), (std::vector<double>{0, 0.25, 0.5, 0.75}));
  // The length is ceil((end - start) / step) in double, as torch.arange computes
  // it: (2.2 - 1) / 0.2 rounds to 6.000000000000001, so torch also gives 7.
  EXPECT_EQ(arange(1.0, 2.2, 0.2, DType::f64).numel(), 7);
  EXPECT_EQ(arange(0.0, 0.3, 0.1, DType::f64).numel(), 3);
  // A partial last step still yields an element, like torch.arange.
  EXPECT_EQ(arange(0.0, 1.0, 0.3, DType::f64).numel(), 4);
  EXPECT_EQ(arange(5.0, 0.0, -2.0).to_vector<float>(), (std::vector<float>{5, 3, 1}));
  EXPECT_EQ(arange(-3.0, -1.0).to_vector<float>(), (std::vector<float>{-3, -2}));
  EXPECT_EQ(arange(3).dtype(), DType::i64);
  EXPECT_EQ(arange(3).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(arange(1.0, 4.0, 1.0, DType::bf16).to_vector<float>(), (std::vector<float>{1, 2, 3}));
}

TEST(Arange, EmptyRanges) {
  EXPECT_EQ(arange(0).shape(), (Shape{0}));
  EXPECT_EQ(arange(2.0, 2.0).shape(), (Shape{0}));
  EXPECT_EQ(arange(2.0, 2.0, -1.0).shape(), (Shape{0}));
}

TEST(Arange, RejectsBadArguments) {
  EXPECT_THROW(arange(0.0, 1.0, 0.0), Error);
  // A step pointing away from the end, like torch.arange.
  EXPECT_THROW(arange(0.0, 5.0, -1.0), Error);
  EXPECT_THROW(arange(5.0, 0.0, 1.0), Error);
  EXPECT_THROW(arange(-1), Error);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(arange(0.0, inf), Error);
  EXPECT_THROW(arange(std::nan(""), 1.0), Error);
  try {
    arange(0.0, 5.0, -1.0);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("-1"), std::string::npos) << e.what();
  }
}

TEST(Creation, ValuesShapesAndDtypes) {
  EXPECT_EQ(zeros({2, 0, 3}).numel(), 0);
  EXPECT_EQ(full({2}, -1.5, DType::f64).to_vector<double>(), (std::vector<double>{-1.5, -1.5}));
  EXPECT_EQ(full({2}, 7, DType::i64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 7}));
  EXPECT_EQ(full({1}, 1.0 / 3, DType::bf16).to_vector<float>()[0],
            bf16::from_float(1.0f / 3).to_float());
  Tensor s = scalar_tensor(2.5);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 2.5f);
  EXPECT_EQ(eye(3, DType::f64).to_vector<double>(),
            (std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(eye(0).numel(), 0);
  EXPECT_EQ(
      from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::i64).to_vector<std::int64_t>(),
      (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{4, 5}, {2, 1}).shape(), (Shape{2, 1}));
  EXPECT_THROW(from_vector(std::vector<double>{1, 2, 3}, {2, 2}), Error);
  EXPECT_THROW(from_vector(std::vector<std::int64_t>{1}, {2}), Error);
  EXPECT_THROW(zeros({2, -1}), Error);
}

TEST(Creation, FillStridedViews) {
  // A column, a transposed block and a strided row: only the viewed elements change.
  Tensor t = zeros({3, 4}, DType::f64);
  fill_(view::select(t, 1, 2), 7);
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{0, 0, 7, 0, 0, 0, 7, 0, 0, 0, 7, 0}));
  fill_(view::narrow(view::transpose(t, 0, 1), 0, 0, 2), -1);  // columns 0 and 1
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{-1, -1, 7, 0, -1, -1, 7, 0, -1, -1, 7, 0}));
  fill_(view::as_strided(t, {2}, {2}, 9), 5);  // elements 9 and 11
  EXPECT_EQ(t.to_vector<double>(), (std::vector<double>{-1, -1, 7, 0, -1, -1, 7, 0, -1, 5, 7, 5}));
  fill_(t, 0.5);
  EXPECT_EQ(t.to_vector<double>(), std::vector<double>(12, 0.5));
  // Other dtypes through a strided view.
  Tensor ids = zeros({2, 3}, DType::i64);
  fill_(view::select(ids, 0, 1), 4);
  EXPECT_EQ(ids.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 0, 4, 4, 4}));
  Tensor h = zeros({2, 2}, DType::bf16);
  fill_(view::transpose(h, 0, 1), 2);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{2, 2, 2, 2}));
  Tensor f = zeros({4});
  fill_(view::narrow(f, 0, 1, 2), 3);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0, 3, 3, 0}));
}

TEST(Creation, RandomRanges) {
  Generator g(1);
  for (double v : rand({1000}, -2, -1, DType::f64, g).to_vector<double>()) {
    ASSERT_GE(v, -2);
    ASSERT_LT(v, -1);
  }
  for (float v : randn({1000}, DType::f32, g).to_vector<float>()) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace qkv
