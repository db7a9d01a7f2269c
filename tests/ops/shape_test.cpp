#include "ops/shape.h"

#include <gtest/gtest.h>

#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv {
namespace {

using testing::leaf64;

Tensor iota(const Shape& shape, DType dtype = DType::f64) {
  return view::reshape(arange(0.0, double(numel(shape)), 1.0, dtype), shape);
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ShapeOps, ViewsShareStorageAndRecord) {
  const Tensor x = iota({2, 3, 4});
  x.set_requires_grad(true);
  const Tensor views[] = {reshape(x, {6, 4}),
                          transpose(x, 0, 2),
                          permute(x, {1, 2, 0}),
                          narrow(x, 2, 1, 2),
                          select(x, 1, -1),
                          unsqueeze(x, 1),
                          squeeze(unsqueeze(x, 3), 3),
                          expand(select(x, 0, 0), {5, 3, 4})};
  for (const Tensor& v : views) {
    EXPECT_EQ(v.storage(), x.storage());
    EXPECT_TRUE(v.requires_grad());
    EXPECT_FALSE(v.is_leaf());
  }
  // contiguous copies only when it must.
  EXPECT_TRUE(contiguous(x).is_same(x));
  const Tensor c = contiguous(transpose(x, 0, 1));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage(), x.storage());
  EXPECT_EQ(c.to_vector<double>(), transpose(x, 0, 1).to_vector<double>());
}

TEST(ShapeOps, Values) {
  const Tensor x = iota({2, 3});
  EXPECT_EQ(reshape(x, {3, -1}).to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(transpose(x, 0, 1).to_vector<double>(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(permute(iota({2, 1, 3}), {2, 1, 0}).to_vector<double>(),
            (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(narrow(x, 1, 1, 2).to_vector<double>(), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(select(x, 1, 2).to_vector<double>(), (std::vector<double>{2, 5}));
  EXPECT_EQ(unsqueeze(x, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(unsqueeze(x, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(squeeze(unsqueeze(x, 1), 1).shape(), (Shape{2, 3}));
  EXPECT_EQ(expand(select(x, 0, 1), {2, 3}).to_vector<double>(),
            (std::vector<double>{3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(expand(narrow(x, 1, 0, 1), {2, 2, 2}).to_vector<double>(),
            (std::vector<double>{0, 0, 3, 3, 0, 0, 3, 3}));
}

TEST(ShapeOps, Cat) {
  const Tensor a = iota({2, 2}), b = iota({2, 1}) + 10.0, c = iota({2, 3}) + 20.0;
  EXPECT_EQ(cat({a, b, c}, 1).to_vector<double>(),
            (std::vector<double>{0, 1, 10, 20, 21, 22, 2, 3, 11, 23, 24, 25}));
  EXPECT_EQ(cat({a, a}, 0).shape(), (Shape{4, 2}));
  EXPECT_EQ(cat({a, transpose(a, 0, 1)}, -2).to_vector<double>(),
            (std::vector<double>{0, 1, 2, 3, 0, 2, 1, 3}));
  EXPECT_EQ(cat({a}, 0).to_vector<double>(), a.to_vector<double>());
  EXPECT_EQ(cat({a, zeros({0, 2}, DType::f64)}, 0).shape(), (Shape{2, 2}));
  EXPECT_EQ(cat({arange(2), arange(3)}, 0).to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, 1, 0, 1, 2}));
}

TEST(ShapeOps, ErrorsNameTheShapes) {
  const Tensor x = zeros({2, 3});
  std::string msg = error_of([&] { reshape(x, {4, 2}); });
  EXPECT_NE(msg.find("[4, 2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  msg = error_of([&] { cat({x, zeros({3, 3})}, 1); });
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[3, 3]"), std::string::npos) << msg;
  msg = error_of([&] { expand(x, {4, 3}); });
  EXPECT_NE(msg.find("[2, 3] to [4, 3]"), std::string::npos) << msg;
  EXPECT_THROW(cat({x, zeros({2, 3}, DType::f64)}, 0), Error);
  EXPECT_THROW(cat({x, zeros({2, 3, 1})}, 0), Error);
  EXPECT_THROW(cat({}, 0), Error);
  EXPECT_THROW(transpose(x, 0, 2), Error);
  EXPECT_THROW(narrow(x, 1, 2, 2), Error);
  EXPECT_THROW(select(x, 0, 2), Error);
  EXPECT_THROW(squeeze(x, 0), Error);
  EXPECT_THROW(permute(x, {0}), Error);
  EXPECT_THROW(sum_to(x, {2, 1, 3}), Error);
}

TEST(ShapeOps, SumToInvertsBroadcasting) {
  const Tensor g = iota({2, 3, 4});
  EXPECT_EQ(sum_to(g, {3, 4}).to_vector<double>(), sum(g, {0}).to_vector<double>());
  EXPECT_EQ(sum_to(g, {3, 1}).to_vector<double>(), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(sum_to(g, {1, 1, 4}).shape(), (Shape{1, 1, 4}));
  EXPECT_EQ(sum_to(g, {}).item<double>(), 276);
  EXPECT_TRUE(sum_to(g, {2, 3, 4}).is_same(g));
}

TEST(ShapeOps, GradientsLandInTheRightPlaces) {
  // narrow and select scatter into zeros; expand sums over the copies.
  Tensor x = iota({2, 3});
  x.set_requires_grad(true);
  autograd::backward(sum(narrow(x, 1, 1, 2) * 2.0) + sum(select(x, 0, 1)) +
                     sum(expand(x, {4, 2, 3})));
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{4, 6, 6, 5, 7, 7}));
}

TEST(ShapeOps, Gradcheck) {
  const Tensor x = leaf64({2, 3, 4}, 1);
  const std::pair<const char*, autograd::GradcheckFn> cases[] = {
      {"reshape",
       [](const auto& in) {
         return reshape(in[0], {4, -1});
       }},
      {"reshape of transposed (copy)",
       [](const auto& in) { return reshape(transpose(in[0], 0, 2), {-1}); }},
      {"transpose", [](const auto& in) { return transpose(in[0], 0, -1); }},
      {"permute",
       [](const auto& in) {
         return permute(in[0], {1, 2, 0});
       }},
      {"narrow", [](const auto& in) { return narrow(in[0], 2, 1, 2); }},
      {"narrow negative dim", [](const auto& in) { return narrow(in[0], -2, 0, 1); }},
      {"select", [](const auto& in) { return select(in[0], 1, -1); }},
      {"unsqueeze", [](const auto& in) { return unsqueeze(in[0], 2); }},
      {"squeeze", [](const auto& in) { return squeeze(narrow(in[0], 1, 1, 1), 1); }},
      {"expand",
       [](const auto& in) {
         return expand(unsqueeze(in[0], 1), {2, 5, 3, 4});
       }},
      {"expand new leading dim",
       [](const auto& in) {
         return expand(in[0], {3, 2, 3, 4});
       }},
      {"contiguous", [](const auto& in) { return contiguous(transpose(in[0], 1, 2)); }},
      {"cat",
       [](const auto& in) {
         return cat({in[0], narrow(in[0], 1, 0, 2)}, 1);
       }},
      {"views chained",
       [](const auto& in) {
         return select(permute(reshape(in[0], {6, 4}), {1, 0}), 0, 3) * in[0].size(0);
       }},
  };
  for (const auto& [name, fn] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(fn, (std::vector<Tensor>{x}));
  }
  // cat of inputs where only some need a gradient.
  const Tensor y = leaf64({2, 2, 4}, 2), constant = rand({2, 1, 4}, 0, 1, DType::f64);
  EXPECT_GRADCHECK(
      [](const auto& in) {
        return cat({in[0], in[1], in[2]}, 1);
      },
      (std::vector<Tensor>{x, constant, y}));
  EXPECT_GRADCHECK([](const auto& in) { return sum_to(in[0], {3, 1}); }, (std::vector<Tensor>{x}));
}

}  // namespace
}  // namespace qkv
