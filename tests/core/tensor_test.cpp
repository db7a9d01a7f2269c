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

}  // namespace
}  // namespace qkv
