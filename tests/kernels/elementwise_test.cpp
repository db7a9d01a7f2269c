#include "kernels/elementwise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/creation.h"
#include "core/view.h"

namespace qkv {
namespace {

const std::int64_t kSizes[] = {1, 7, 63, 65, 1000};

const kernels::Binary kBinaryOps[] = {kernels::Binary::add, kernels::Binary::sub,
                                      kernels::Binary::mul, kernels::Binary::div};

const char* name_of(kernels::Binary op) {
  switch (op) {
    case kernels::Binary::add:
      return "add";
    case kernels::Binary::sub:
      return "sub";
    case kernels::Binary::mul:
      return "mul";
    case kernels::Binary::div:
      return "div";
  }
  return "?";
}

Tensor random(const Shape& shape, DType dtype, std::uint64_t seed, double lo = -1, double hi = 1) {
  Generator gen(seed);
  return rand(shape, lo, hi, dtype, gen);
}

// Runs fast and reference binary kernels on a and b (any strides, broadcast
// to `shape`) and expects identical results: both do the same IEEE operation
// per element.
template <class T>
void expect_binary_matches(kernels::Binary op, const Tensor& a, const Tensor& b) {
  const Shape shape = broadcast_shapes(a.shape(), b.shape());
  SCOPED_TRACE(::testing::Message() << name_of(op) << " " << to_string(a.shape()) << " strides "
                                    << to_string(a.strides()) << " with " << to_string(b.shape())
                                    << " strides " << to_string(b.strides()));
  const Tensor ea = view::expand(a, shape), eb = view::expand(b, shape);
  Tensor fast = Tensor::empty(shape, dtype_of<T>()), ref = Tensor::empty(shape, dtype_of<T>());
  kernels::binary<T>(op, shape, a.data<T>(), ea.strides(), b.data<T>(), eb.strides(),
                     fast.data<T>());
  kernels::ref::binary<T>(op, shape, a.data<T>(), ea.strides(), b.data<T>(), eb.strides(),
                          ref.data<T>());
  EXPECT_EQ(fast.to_vector<double>(), ref.to_vector<double>());
  // And the reference itself reads the right elements.
  const auto va = ea.to_vector<double>(), vb = eb.to_vector<double>(), vr = ref.to_vector<double>();
  for (std::size_t i = 0; i < vr.size(); i += std::max<std::size_t>(1, vr.size() / 17)) {
    const T x = T(va[i]), y = T(vb[i]);
    const T want = op == kernels::Binary::add   ? T(x + y)
                   : op == kernels::Binary::sub ? T(x - y)
                   : op == kernels::Binary::mul ? T(x * y)
                                                : T(x / y);
    ASSERT_EQ(vr[i], double(want)) << "element " << i;
  }
}

template <class T>
void binary_broadcast_patterns() {
  const DType dt = dtype_of<T>();
  const std::int64_t B = 2, T_ = 3;
  for (auto d : kSizes) {
    const Tensor full = random({B, T_, d}, dt, 1), other = random({B, T_, d}, dt, 2, 0.5, 1.5);
    const Tensor scalar = random({}, dt, 3, 0.5, 1.5), row = random({d}, dt, 4, 0.5, 1.5);
    const Tensor column = random({B, T_, 1}, dt, 5, 0.5, 1.5);
    const Tensor middle = random({B, 1, d}, dt, 6, 0.5, 1.5);
    for (auto op : kBinaryOps) {
      expect_binary_matches<T>(op, full, other);
      for (const Tensor& small : {scalar, row, column, middle}) {
        expect_binary_matches<T>(op, full, small);
        expect_binary_matches<T>(op, small, full);
      }
      // Both sides broadcast: [B, T, 1] with [d] and [B, 1, d] with [B, T, 1].
      expect_binary_matches<T>(op, column, row);
      expect_binary_matches<T>(op, middle, column);
    }
  }
}

TEST(ElementwiseKernel, BinaryBroadcastFloat) { binary_broadcast_patterns<float>(); }
TEST(ElementwiseKernel, BinaryBroadcastDouble) { binary_broadcast_patterns<double>(); }

template <class T>
void binary_strided_operands() {
  const DType dt = dtype_of<T>();
  const std::int64_t B = 2, T_ = 3;
  for (auto d : kSizes) {
    // [B, d, T] transposed to [B, T, d]; [B, T, d + 5] narrowed to [B, T, d];
    // every other row of [B, 2T, d].
    const Tensor transposed = view::transpose(random({B, d, T_}, dt, 7), 1, 2);
    const Tensor narrowed = view::narrow(random({B, T_, d + 5}, dt, 8, 0.5, 1.5), 2, 2, d);
    const Tensor strided_rows =
        view::as_strided(random({B, 2 * T_, d}, dt, 9), {B, T_, d}, {2 * T_ * d, 2 * d, 1}, d);
    const Tensor row = view::narrow(random({d + 3}, dt, 10, 0.5, 1.5), 0, 3, d);
    const Tensor column = view::transpose(random({1, T_}, dt, 11, 0.5, 1.5), 0, 1);  // [T, 1]
    for (auto op : kBinaryOps) {
      expect_binary_matches<T>(op, transposed, narrowed);
      expect_binary_matches<T>(op, narrowed, transposed);
      expect_binary_matches<T>(op, strided_rows, narrowed);
      expect_binary_matches<T>(op, transposed, row);
      expect_binary_matches<T>(op, column, transposed);
    }
  }
}

TEST(ElementwiseKernel, BinaryNonContiguousFloat) { binary_strided_operands<float>(); }
TEST(ElementwiseKernel, BinaryNonContiguousDouble) { binary_strided_operands<double>(); }

TEST(ElementwiseKernel, BinaryLargeRunsInParallel) {
  // Past the kernel's threading threshold (32768 elements).
  const Tensor a = random({300, 257}, DType::f32, 12), b = random({257}, DType::f32, 13, 0.5, 1.5);
  for (auto op : kBinaryOps) expect_binary_matches<float>(op, a, b);
  expect_binary_matches<float>(kernels::Binary::mul, view::transpose(a, 0, 1),
                               random({257, 1}, DType::f32, 14));
}

TEST(ElementwiseKernel, BinaryScalarWithScalar) {
  expect_binary_matches<double>(kernels::Binary::div, random({}, DType::f64, 15),
                                random({}, DType::f64, 16, 0.5, 1.5));
  expect_binary_matches<double>(kernels::Binary::sub, random({1, 1}, DType::f64, 17),
                                random({1}, DType::f64, 18));
}

struct UnaryCase {
  kernels::Unary op;
  const char* name;
  double lo, hi;  // input range inside the op's domain
};

const UnaryCase kUnaryOps[] = {
    {kernels::Unary::neg, "neg", -3, 3},       {kernels::Unary::exp, "exp", -5, 5},
    {kernels::Unary::log, "log", 0.01, 10},    {kernels::Unary::sqrt, "sqrt", 0.01, 10},
    {kernels::Unary::square, "square", -3, 3}, {kernels::Unary::relu, "relu", -3, 3},
    {kernels::Unary::gelu, "gelu", -6, 6},     {kernels::Unary::gelu_tanh, "gelu_tanh", -6, 6},
    {kernels::Unary::tanh, "tanh", -4, 4},     {kernels::Unary::sigmoid, "sigmoid", -8, 8},
};

// Within a few units in the last place of the reference.
template <class T>
void expect_close_ulps(const std::vector<T>& fast, const std::vector<T>& ref, const char* what) {
  ASSERT_EQ(fast.size(), ref.size());
  const double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::abs(double(fast[i]) - double(ref[i])),
              4 * eps * std::max(1.0, std::abs(double(ref[i]))))
        << what << " element " << i << ": fast " << fast[i] << ", reference " << ref[i];
}

template <class T>
void unary_forward_and_backward() {
  for (const auto& u : kUnaryOps) {
    for (std::int64_t n : {1, 7, 63, 65, 1000, 40000}) {
      SCOPED_TRACE(::testing::Message() << u.name << " n=" << n);
      const Tensor xt = random({n}, dtype_of<T>(), 20, u.lo, u.hi);
      const Tensor dyt = random({n}, dtype_of<T>(), 21);
      const T* x = xt.data<T>();
      const T* dy = dyt.data<T>();
      std::vector<T> y_fast(n), y_ref(n), dx_fast(n), dx_ref(n);
      kernels::unary<T>(u.op, n, x, y_fast.data());
      kernels::ref::unary<T>(u.op, n, x, y_ref.data());
      expect_close_ulps(y_fast, y_ref, "forward");
      kernels::unary_backward<T>(u.op, n, x, y_ref.data(), dy, dx_fast.data());
      kernels::ref::unary_backward<T>(u.op, n, x, y_ref.data(), dy, dx_ref.data());
      expect_close_ulps(dx_fast, dx_ref, "backward");
    }
  }
}

TEST(ElementwiseKernel, UnaryFastMatchesReferenceFloat) { unary_forward_and_backward<float>(); }
TEST(ElementwiseKernel, UnaryFastMatchesReferenceDouble) { unary_forward_and_backward<double>(); }

TEST(ElementwiseKernel, UnaryReferenceValues) {
  // Spot values of each definition, computed by hand or from published tables.
  struct Point {
    kernels::Unary op;
    double x, y, dydx;
  };
  const double phi1 = 0.8413447460685429;   // standard normal CDF at 1
  const double pdf1 = 0.24197072451914337;  // standard normal density at 1
  const double t = std::tanh(std::sqrt(2 / std::numbers::pi) * (1 + 0.044715));
  const Point points[] = {
      {kernels::Unary::neg, 2, -2, -1},
      {kernels::Unary::exp, 1, std::numbers::e, std::numbers::e},
      {kernels::Unary::log, std::numbers::e, 1, 1 / std::numbers::e},
      {kernels::Unary::sqrt, 4, 2, 0.25},
      {kernels::Unary::square, -3, 9, -6},
      {kernels::Unary::relu, -0.5, 0, 0},
      {kernels::Unary::relu, 0.5, 0.5, 1},
      {kernels::Unary::gelu, 1, phi1, phi1 + pdf1},
      {kernels::Unary::gelu, 0, 0, 0.5},
      {kernels::Unary::gelu_tanh, 1, 0.5 * (1 + t),
       0.5 * (1 + t) + 0.5 * (1 - t * t) * std::sqrt(2 / std::numbers::pi) * (1 + 3 * 0.044715)},
      {kernels::Unary::tanh, 0.5, std::tanh(0.5), 1 - std::tanh(0.5) * std::tanh(0.5)},
      {kernels::Unary::sigmoid, 0, 0.5, 0.25},
  };
  for (const auto& p : points) {
    double y = 0, dx = 0, dy = 1;
    kernels::ref::unary<double>(p.op, 1, &p.x, &y);
    kernels::ref::unary_backward<double>(p.op, 1, &p.x, &y, &dy, &dx);
    EXPECT_NEAR(y, p.y, 1e-12) << "op " << int(p.op) << " at " << p.x;
    EXPECT_NEAR(dx, p.dydx, 1e-12) << "derivative of op " << int(p.op) << " at " << p.x;
  }
}

TEST(ElementwiseKernel, AffineAndPow) {
  const std::vector<double> x = {-2, -0.5, 0, 1.5, 3}, dy = {1, 2, 3, 4, 5};
  std::vector<double> y(5), dx(5);
  kernels::affine<double>(5, x.data(), -2.0, 0.5, y.data());
  EXPECT_EQ(y, (std::vector<double>{4.5, 1.5, 0.5, -2.5, -5.5}));
  kernels::pow<double>(5, x.data(), 3.0, y.data());
  EXPECT_EQ(y, (std::vector<double>{-8, -0.125, 0, 3.375, 27}));
  kernels::pow_backward<double>(5, x.data(), 3.0, dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{12, 1.5, 0, 27, 135}));
  // x^0 is constant: its derivative is 0 everywhere, also at x = 0.
  kernels::pow_backward<double>(5, x.data(), 0.0, dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace qkv
