#include "core/tensor.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"

namespace qkv {
namespace {

TEST(Tensor, EmptyIsDenseRowMajor) {
  Tensor t = Tensor::empty({2, 3, 4});
  EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data<float>()) % 64, 0u);
}

TEST(Tensor, WrongDtypeAccessThrows) {
  Tensor t = zeros({2});
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(Tensor().shape(), Error);
}

TEST(Tensor, CreationValues) {
  EXPECT_EQ(arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(0.0, 1.0, 0.25).to_vector<float>(), (std::vector<float>{0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(full({2, 2}, 3.5).to_vector<float>(), (std::vector<float>{3.5, 3.5, 3.5, 3.5}));
  EXPECT_EQ(eye(2).to_vector<float>(), (std::vector<float>{1, 0, 0, 1}));
  EXPECT_EQ(ones({3}, DType::f64).to_vector<double>(), (std::vector<double>{1, 1, 1}));
}

TEST(Tensor, RandomIsSeededAndWellDistributed) {
  Generator g1(42), g2(42), g3(43);
  Tensor a = randn({10000}, DType::f32, g1), b = randn({10000}, DType::f32, g2);
  Tensor c = randn({10000}, DType::f32, g3);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  double mean = 0, var = 0;
  for (float v : a.to_vector<float>()) mean += v;
  mean /= 10000;
  for (float v : a.to_vector<float>()) var += (v - mean) * (v - mean);
  var /= 10000;
  EXPECT_NEAR(mean, 0, 0.05);
  EXPECT_NEAR(var, 1, 0.05);
  Tensor u = rand({10000}, 2, 3, DType::f64, g1);
  for (double v : u.to_vector<double>()) ASSERT_TRUE(v >= 2 && v < 3);
}

TEST(Tensor, PrintsReadably) {
  Tensor t = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.to_string(),
            "tensor([[1.0000, 2.0000, 3.0000],\n        [4.0000, 5.0000, 6.0000]], shape=[2, 3], "
            "dtype=float32)");
  EXPECT_NE(zeros({100, 100}).to_string().find("..."), std::string::npos);
}

TEST(Tensor, Bf16RoundTripsThroughCopy) {
  Tensor f = from_vector(std::vector<double>{1.0, -2.5, 3.140625}, {3});
  Tensor b = view::to_dtype(f, DType::bf16);
  EXPECT_EQ(b.dtype(), DType::bf16);
  EXPECT_EQ(view::to_dtype(b, DType::f32).to_vector<float>(), f.to_vector<float>());
}

TEST(Tensor, ToVectorReadsViewsInLogicalOrder) {
  // [2, 3, 4] holding 0..23.
  Tensor t = view::reshape(arange(0.0, 24.0, 1.0, DType::f64), {2, 3, 4});
  EXPECT_EQ(view::permute(t, {2, 0, 1}).to_vector<double>()[0], 0);
  EXPECT_EQ(view::permute(t, {2, 0, 1}).to_vector<double>(),
            (std::vector<double>{0, 4, 8,  12, 16, 20, 1, 5, 9,  13, 17, 21,
                                 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23}));
  // A column of a transposed slice: offset and strides both matter.
  Tensor col = view::select(view::transpose(view::select(t, 0, 1), 0, 1), 0, 2);
  EXPECT_EQ(col.to_vector<double>(), (std::vector<double>{14, 18, 22}));
  // Broadcast (stride 0) and narrowed views.
  Tensor row = view::narrow(view::select(t, 1, 0), 1, 1, 2);  // [2, 2]: {1, 2}, {13, 14}
  EXPECT_EQ(row.to_vector<double>(), (std::vector<double>{1, 2, 13, 14}));
  EXPECT_EQ(view::expand(view::unsqueeze(row, 1), {2, 3, 2}).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{1, 2, 1, 2, 1, 2, 13, 14, 13, 14, 13, 14}));
  EXPECT_TRUE(view::narrow(t, 0, 1, 0).to_vector<float>().empty());
}

TEST(Tensor, ItemConvertsOneElement) {
  Tensor t = from_vector(std::vector<double>{1.5, -2.75, 3}, {3}, DType::f64);
  EXPECT_EQ(view::select(t, 0, 1).item<double>(), -2.75);  // a view with an offset
  EXPECT_EQ(view::select(t, 0, 1).item<float>(), -2.75f);
  EXPECT_EQ(view::select(t, 0, 1).item<std::int64_t>(), -2);  // truncates like a C cast
  EXPECT_EQ(view::reshape(view::narrow(t, 0, 2, 1), {1, 1}).item<double>(), 3);
  EXPECT_EQ(from_vector(std::vector<std::int64_t>{9}, {}).item<double>(), 9.0);
  EXPECT_EQ(view::to_dtype(scalar_tensor(0.5), DType::bf16).item<float>(), 0.5f);
  EXPECT_THROW(t.item<double>(), Error);
  EXPECT_THROW(zeros({0}).item<float>(), Error);
}

TEST(Tensor, CloneAndToDtypeCopy) {
  Tensor t = view::reshape(arange(0.0, 6.0, 1.0, DType::f32), {2, 3});
  Tensor tt = view::transpose(t, 0, 1);
  Tensor c = view::clone(tt);
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), t.storage());
  EXPECT_EQ(c.to_vector<float>(), tt.to_vector<float>());
  fill_(t, -1);  // the clone does not follow its source
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));

  Tensor x = from_vector(std::vector<double>{0.1, -1.9, 2.5, 1e10}, {2, 2}, DType::f64);
  Tensor f = view::to_dtype(view::transpose(x, 0, 1), DType::f32);
  EXPECT_EQ(f.dtype(), DType::f32);
  EXPECT_TRUE(f.is_contiguous());
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{0.1f, 2.5f, -1.9f, 1e10f}));
  EXPECT_EQ(view::to_dtype(x, DType::i64).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, -1, 2, 10000000000}));
  // Already of that dtype and dense: no copy, as documented.
  EXPECT_EQ(view::to_dtype(x, DType::f64).storage(), x.storage());
  EXPECT_NE(view::to_dtype(view::transpose(x, 0, 1), DType::f64).storage(), x.storage());
  // Round trip through bf16 keeps 8 significant bits.
  Tensor h = view::to_dtype(from_vector(std::vector<double>{1.0 + 1.0 / 512}, {1}), DType::bf16);
  EXPECT_EQ(h.to_vector<float>()[0], 1.0f);
}

}  // namespace
}  // namespace qkv
