#include "ops/index_select.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"

namespace qkv {
namespace {

using testing::leaf64;

Tensor idx(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}

TEST(IndexSelectOp, GathersAlongAnyDim) {
  const Tensor x = view::reshape(arange(0, 24, 1), {2, 3, 4});
  EXPECT_EQ(index_select(x, 0, idx({1, 1, 0})).to_vector<float>()[0], 12.0f);
  const Tensor y = index_select(x, 1, idx({2, 0}));
  EXPECT_EQ(y.shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(y.to_vector<float>(),
            (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15}));
  const Tensor z = index_select(x, -1, idx({3}));
  EXPECT_EQ(z.to_vector<float>(), (std::vector<float>{3, 7, 11, 15, 19, 23}));
  EXPECT_EQ(index_select(x, 0, from_vector(std::vector<std::int64_t>{}, {0})).shape(),
            (Shape{0, 3, 4}));
}

TEST(IndexSelectOp, GradcheckWithRepeatedRows) {
  for (std::int64_t dim : {0, 1, 2}) {
    auto f = [dim](const std::vector<Tensor>& in) {
      return index_select(in[0], dim, idx({1, 0, 1}));
    };
    EXPECT_GRADCHECK(f, (std::vector<Tensor>{leaf64({2, 3, 2}, 1 + dim)}));
  }
}

TEST(IndexSelectOp, ErrorsNameTheIndex) {
  const Tensor x = zeros({2, 3});
  try {
    index_select(x, 1, idx({0, 3}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "index_select: index 3 at position 1 is outside [0, 3) along dim 1 of [2, 3]");
  }
  EXPECT_THROW(index_select(x, 0, from_vector(std::vector<double>{0}, {1})), Error);
  EXPECT_THROW(index_select(x, 2, idx({0})), Error);
}

}  // namespace
}  // namespace qkv
