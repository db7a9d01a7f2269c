#include "ops/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor f64(const std::vector<double>& values, const Shape& shape) {
  return from_vector(values, shape, DType::f64);
}

// torch.matmul computed by definition: broadcast batch dims, then the sum over k.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                       Shape(b.shape().begin(), b.shape().end() - 2));
  Shape sa = batch, sb = batch, so = batch;
  sa.insert(sa.end(), {m, k});
  sb.insert(sb.end(), {k, n});
  so.insert(so.end(), {m, n});
  const auto va = view::expand(a, sa).to_vector<double>();
  const auto vb = view::expand(b, sb).to_vector<double>();
  std::vector<double> out(numel(so));
  for (std::int64_t bi = 0; bi < numel(batch); ++bi)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t p = 0; p < k; ++p)
          acc += va[(bi * m + i) * k + p] * vb[(bi * k + p) * n + j];
        out[(bi * m + i) * n + j] = acc;
      }
  return from_vector(out, so, a.dtype());
}

void expect_matches_naive(const Tensor& a, const Tensor& b, double tol = 1e-12) {
  SCOPED_TRACE(::testing::Message() << to_string(a.shape()) << " x " << to_string(b.shape()));
  const Tensor got = matmul(a, b), want = naive_matmul(a, b);
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_LE(testing::max_abs_diff(got, want), tol);
}

Tensor random64(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return rand(shape, -1, 1, DType::f64, gen);
}

TEST(Matmul, HandComputed) {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3}), b = f64({1, 0, -1, 2, 0.5, 1}, {3, 2});
  // [1 2 3; 4 5 6] x [1 0; -1 2; 0.5 1]
  EXPECT_EQ(matmul(a, b).to_vector<double>(), (std::vector<double>{0.5, 7, 2, 16}));
  // Vectors: [3] . [3], [2, 3] x [3], [3] x [3, 2].
  const Tensor v = f64({1, -1, 2}, {3});
  const Tensor dot = matmul(v, v);
  EXPECT_EQ(dot.dim(), 0);
  EXPECT_EQ(dot.item<double>(), 6);
  EXPECT_EQ(matmul(a, v).to_vector<double>(), (std::vector<double>{5, 11}));
  EXPECT_EQ(matmul(a, v).shape(), (Shape{2}));
  EXPECT_EQ(matmul(v, b).to_vector<double>(), (std::vector<double>{3, 0}));
  EXPECT_EQ(matmul(v, b).shape(), (Shape{2}));
}

TEST(Matmul, ShapesLikeTorch) {
  // Batched, broadcast batch dims, 2-D b with 3-D a, vectors against batches.
  expect_matches_naive(random64({4, 3, 5}, 1), random64({4, 5, 2}, 2));
  expect_matches_naive(random64({2, 1, 3, 5}, 3), random64({3, 5, 4}, 4));
  expect_matches_naive(random64({3, 7, 5}, 5), random64({5, 6}, 6));
  expect_matches_naive(random64({5, 6}, 7), random64({3, 6, 2}, 8));
  expect_matches_naive(random64({1, 4, 3}, 9), random64({2, 3, 3}, 10));
  EXPECT_EQ(matmul(random64({5}, 11), random64({2, 5, 3}, 12)).shape(), (Shape{2, 3}));
  EXPECT_EQ(matmul(random64({2, 3, 5}, 13), random64({5}, 14)).shape(), (Shape{2, 3}));
  // Sizes 1 everywhere.
  expect_matches_naive(random64({1, 1}, 15), random64({1, 1}, 16));
  expect_matches_naive(random64({1, 1, 1}, 17), random64({1, 1}, 18));
}

TEST(Matmul, StridedInputs) {
  // Transposed views go to BLAS as transposed operands; other layouts are copied.
  const Tensor a = random64({5, 3}, 1), b = random64({4, 5}, 2);
  expect_matches_naive(view::transpose(a, 0, 1), view::transpose(b, 0, 1));
  expect_matches_naive(view::transpose(random64({2, 5, 3}, 3), 1, 2), random64({2, 5, 4}, 4));
  expect_matches_naive(random64({2, 3, 5}, 5), view::transpose(random64({2, 4, 5}, 6), 1, 2));
  expect_matches_naive(view::narrow(random64({3, 9}, 7), 1, 2, 5),
                       view::narrow(view::transpose(b, 0, 1), 1, 1, 3));
  expect_matches_naive(view::permute(random64({3, 2, 5}, 8), {1, 0, 2}), random64({5, 2}, 9));
  // Interleaved batch: matrix rows 10 apart, matrices 5 apart.
  expect_matches_naive(view::permute(random64({3, 2, 5}, 8), {1, 0, 2}), random64({2, 5, 2}, 9));
  expect_matches_naive(view::transpose(random64({5, 3, 2}, 10), 0, 2), random64({2, 5, 4}, 11));
  // A batch taken from every other matrix, and one broadcast by stride 0.
  expect_matches_naive(view::narrow(random64({4, 3, 5}, 12), 0, 1, 2), random64({2, 5, 2}, 13));
  expect_matches_naive(view::expand(random64({1, 3, 5}, 14), {3, 3, 5}), random64({3, 5, 2}, 15));
  expect_matches_naive(view::select(random64({3, 4, 5}, 16), 2, 1), random64({4, 6}, 17));
}

TEST(Matmul, FloatMatchesDouble) {
  // float32 sums of k = 1000 products within 1e-5 * sqrt(k) relative to the
  // sum of |a b|, which is about k / 4 for values uniform in [-1, 1).
  const std::int64_t k = 1000;
  const Tensor a = random64({3, 17, k}, 1), b = random64({k, 65}, 2);
  const Tensor want = matmul(a, b);
  const Tensor got = matmul(view::to_dtype(a, DType::f32), view::to_dtype(b, DType::f32));
  EXPECT_LE(testing::max_abs_diff(got, want), 1e-5 * std::sqrt(double(k)) * double(k) / 4);
}

TEST(Matmul, EmptyDims) {
  // k = 0 gives zeros; m, n or batch = 0 give empty results.
  EXPECT_EQ(matmul(zeros({2, 0}), zeros({0, 3})).to_vector<float>(), std::vector<float>(6, 0));
  EXPECT_EQ(matmul(zeros({4, 2, 0}), zeros({0, 3})).to_vector<float>(), std::vector<float>(24, 0));
  EXPECT_EQ(matmul(zeros({4, 2, 0}), zeros({4, 0, 3})).to_vector<float>(),
            std::vector<float>(24, 0));
  EXPECT_EQ(matmul(zeros({0, 5}), zeros({5, 3})).shape(), (Shape{0, 3}));
  EXPECT_EQ(matmul(zeros({2, 5}), zeros({5, 0})).shape(), (Shape{2, 0}));
  EXPECT_EQ(matmul(zeros({0, 2, 5}), zeros({5, 3})).shape(), (Shape{0, 2, 3}));
  EXPECT_EQ(matmul(zeros({0}), zeros({0})).item<float>(), 0);
}

TEST(Matmul, ErrorsNameTheShapes) {
  std::string msg = error_of([] { matmul(zeros({2, 3}), zeros({4, 5})); });
  EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4, 5]"), std::string::npos) << msg;
  msg = error_of([] { matmul(zeros({3}), zeros({4, 5})); });
  EXPECT_NE(msg.find("[3] and [4, 5]"), std::string::npos) << msg;
  msg = error_of([] { matmul(zeros({2, 3}), zeros({4})); });
  EXPECT_NE(msg.find("[2, 3] and [4]"), std::string::npos) << msg;
  msg = error_of([] { matmul(zeros({2, 2, 3}), zeros({4, 3, 5})); });
  EXPECT_NE(msg.find("[2, 2, 3] and [4, 3, 5]"), std::string::npos) << msg;
  EXPECT_THROW(matmul(zeros({}), zeros({2})), Error);
  EXPECT_THROW(matmul(zeros({2, 2}), zeros({2, 2}, DType::f64)), Error);
  EXPECT_THROW(matmul(arange(4), arange(4)), Error);
}

TEST(Matmul, Gradcheck) {
  using In = std::vector<Tensor>;
  auto mm = [](const In& in) { return matmul(in[0], in[1]); };
  const std::pair<const char*, In> cases[] = {
      {"2-D", {leaf64({3, 4}, 1), leaf64({4, 5}, 2)}},
      {"batched", {leaf64({2, 3, 4}, 3), leaf64({2, 4, 2}, 4)}},
      {"broadcast batch", {leaf64({2, 1, 3, 4}, 5), leaf64({3, 4, 2}, 6)}},
      {"3-D with 2-D", {leaf64({2, 3, 4}, 7), leaf64({4, 5}, 8)}},
      {"2-D with 3-D", {leaf64({3, 4}, 9), leaf64({2, 4, 5}, 10)}},
      {"vector . vector", {leaf64({4}, 11), leaf64({4}, 12)}},
      {"matrix x vector", {leaf64({3, 4}, 13), leaf64({4}, 14)}},
      {"vector x batch", {leaf64({4}, 15), leaf64({2, 4, 3}, 16)}},
      {"batch x vector", {leaf64({2, 3, 4}, 17), leaf64({4}, 18)}},
  };
  for (const auto& [name, inputs] : cases) {
    SCOPED_TRACE(name);
    EXPECT_GRADCHECK(mm, inputs);
  }
  // Transposed-view inputs, and only one input needing a gradient.
  EXPECT_GRADCHECK(
      [](const In& in) { return matmul(transpose(in[0], 0, 1), transpose(in[1], 0, 1)); },
      (In{leaf64({4, 3}, 19), leaf64({5, 4}, 20)}));
  EXPECT_GRADCHECK([](const In& in) { return matmul(transpose(in[0], -1, -2), in[1]); },
                   (In{leaf64({2, 4, 3}, 21), leaf64({4, 2}, 22)}));
  EXPECT_GRADCHECK(mm, (In{leaf64({2, 3, 4}, 23), random64({4, 2}, 24)}));
  EXPECT_GRADCHECK(mm, (In{random64({2, 3, 4}, 25), leaf64({4, 2}, 26)}));
}

}  // namespace
}  // namespace qkv
