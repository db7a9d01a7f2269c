#include "core/view.h"

#include <gtest/gtest.h>

#include "core/creation.h"

namespace qkv {
namespace {

Tensor iota(const Shape& shape) {
  return view::reshape(arange(0.0, double(numel(shape)), 1.0, DType::f32), shape);
}

TEST(View, TransposeSharesStorage) {
  Tensor t = iota({2, 3});
  Tensor tt = view::transpose(t, 0, 1);
  EXPECT_EQ(tt.shape(), (Shape{3, 2}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.storage(), t.storage());
  EXPECT_EQ(tt.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(view::contiguous(tt).to_vector<float>(), tt.to_vector<float>());
  EXPECT_TRUE(view::contiguous(tt).is_contiguous());
}

TEST(View, PermuteNarrowSelect) {
  Tensor t = iota({2, 3, 4});
  Tensor p = view::permute(t, {2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.to_vector<float>()[1], 4.0f);
  Tensor n = view::narrow(t, 2, 1, 2);
  EXPECT_EQ(n.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(n.to_vector<float>()[0], 1.0f);
  EXPECT_EQ(n.to_vector<float>()[2], 5.0f);
  Tensor s = view::select(t, 1, -1);
  EXPECT_EQ(s.shape(), (Shape{2, 4}));
  EXPECT_EQ(s.to_vector<float>()[0], 8.0f);
  EXPECT_THROW(view::narrow(t, 2, 3, 2), Error);
  EXPECT_THROW(view::permute(t, {0, 0, 1}), Error);
  EXPECT_THROW(view::select(t, 3, 0), Error);
}

TEST(View, ReshapeViewsWhenPossibleCopiesOtherwise) {
  Tensor t = iota({2, 3, 4});
  Tensor r = view::reshape(t, {6, -1});
  EXPECT_EQ(r.shape(), (Shape{6, 4}));
  EXPECT_EQ(r.storage(), t.storage());
  Tensor tt = view::transpose(t, 1, 2);  // [2, 4, 3]
  Tensor merged = view::reshape(tt, {2, 12});
  EXPECT_NE(merged.storage(), t.storage());
  EXPECT_EQ(merged.to_vector<float>(), tt.to_vector<float>());
  // Splitting a dim of a transposed view needs no copy.
  Tensor split = view::reshape(tt, {2, 2, 2, 3});
  EXPECT_EQ(split.storage(), t.storage());
  EXPECT_EQ(split.to_vector<float>(), tt.to_vector<float>());
  EXPECT_THROW(view::reshape(t, {5, -1}), Error);
  EXPECT_THROW(view::reshape(t, {-1, -1}), Error);
}

TEST(View, ExpandAndBroadcastShapes) {
  EXPECT_EQ(broadcast_shapes({3, 1, 5}, {4, 1}), (Shape{3, 4, 5}));
  EXPECT_EQ(broadcast_shapes({}, {2, 2}), (Shape{2, 2}));
  EXPECT_THROW(broadcast_shapes({3}, {4}), Error);
  try {
    broadcast_shapes({2, 3}, {4});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3] and [4]"), std::string::npos) << e.what();
  }
  Tensor t = iota({3, 1});
  Tensor e = view::expand(t, {2, 3, 4});
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(e.to_vector<float>()[5], 1.0f);
  EXPECT_THROW(view::expand(t, {2, 4}), Error);
}

TEST(View, UnsqueezeSqueeze) {
  Tensor t = iota({2, 3});
  Tensor u = view::unsqueeze(t, -1);
  EXPECT_EQ(u.shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(view::squeeze(u, 2).shape(), (Shape{2, 3}));
  EXPECT_THROW(view::squeeze(t, 0), Error);
  EXPECT_EQ(view::unsqueeze(t, 0).shape(), (Shape{1, 2, 3}));
}

TEST(View, CopyIntoStridedAndConverting) {
  Tensor dst = zeros({3, 2}, DType::f64);
  view::copy_into(view::transpose(dst, 0, 1), iota({2, 3}));
  EXPECT_EQ(dst.to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(view::copy_into(dst, iota({2, 3})), Error);
}

}  // namespace
}  // namespace qkv
