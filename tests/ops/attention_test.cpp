#include "ops/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "ops/arith.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::leaf64;
using testing::max_abs_diff;

constexpr double kInf = std::numeric_limits<double>::infinity();

// The same attention composed of primitive ops: scores by matmul, the masked
// softmax, then the weighted sum; kv heads repeated for their query heads.
Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionMask& mask) {
  const std::int64_t b = q.size(0), h = q.size(1), g = k.size(1), tk = k.size(2);
  auto repeat = [&](const Tensor& t) {
    return reshape(expand(unsqueeze(t, 2), {b, g, h / g, tk, t.size(3)}), {b, h, tk, t.size(3)});
  };
  const Tensor s = matmul(q, transpose(repeat(k), 2, 3)) * (1 / std::sqrt(double(q.size(3))));
  return matmul(masked_softmax(s, mask), repeat(v));
}

struct Case {
  std::string name;
  std::int64_t b, h, g, tq, tk, dh, dv;
  AttentionMask mask;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"MHA, no mask", 2, 4, 4, 5, 7, 8, 6, {}});
  Case causal{"GQA, causal, Tq < Tk", 2, 4, 2, 3, 7, 8, 8, {}};
  causal.mask.causal = true;
  out.push_back(causal);
  Case lengths{"MQA, key lengths", 3, 4, 1, 5, 6, 4, 5, {}};
  lengths.mask.key_lengths = from_vector(std::vector<std::int64_t>{6, 0, 3}, {3});
  out.push_back(lengths);
  Case rows{"GQA, lengths per query row", 2, 2, 1, 3, 4, 4, 4, {}};
  rows.mask.key_lengths = from_vector(std::vector<std::int64_t>{1, 2, 4, 0, 3, 3}, {2, 3});
  out.push_back(rows);
  Case allowed{"MHA, allowed [Tq, Tk] and causal", 2, 3, 3, 4, 4, 5, 3, {}};
  allowed.mask.allowed =
      from_vector(std::vector<double>{1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1}, {4, 4});
  allowed.mask.causal = true;
  out.push_back(allowed);
  Case additive{"GQA, additive [B, 1, 1, Tk] with -inf", 2, 4, 2, 3, 5, 6, 6, {}};
  additive.mask.additive =
      from_vector(std::vector<double>{0.5, -kInf, 0, 1, -2, -kInf, -kInf, 0.3, 0, 0}, {2, 1, 1, 5});
  out.push_back(additive);
  Case left{"MHA, left padding by key_valid and allowed [Tq, Tk]", 2, 2, 2, 3, 4, 4, 4, {}};
  left.mask.key_valid = from_vector(std::vector<double>{0, 0, 1, 1, 1, 1, 1, 1}, {2, 4});
  left.mask.allowed = from_vector(std::vector<double>{1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1}, {3, 4});
  out.push_back(left);
  return out;
}

Tensor leaf32(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  Tensor t = rand(shape, -1.5, 1.5, DType::f32, gen);
  t.set_requires_grad(true);
  return t;
}

TEST(AttentionOp, MatchesCompositionOfPrimitiveOps) {
  // float32; both sides round differently, a few epsilons of O(1) values.
  constexpr double kTol = 2e-6;
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference})
    for (const Case& c : cases()) {
      const std::string where = c.name + (kernel == AttentionKernel::fused ? " fused" : " ref");
      Tensor q = leaf32({c.b, c.h, c.tq, c.dh}, 1), k = leaf32({c.b, c.g, c.tk, c.dh}, 2),
             v = leaf32({c.b, c.g, c.tk, c.dv}, 3);
      Tensor q2 = leaf32({c.b, c.h, c.tq, c.dh}, 1), k2 = leaf32({c.b, c.g, c.tk, c.dh}, 2),
             v2 = leaf32({c.b, c.g, c.tk, c.dv}, 3);
      AttentionOptions opt;
      opt.mask = c.mask;
      opt.kernel = kernel;
      const Tensor o = scaled_dot_product_attention(q, k, v, opt).output;
      const Tensor want = composed(q2, k2, v2, c.mask);
      EXPECT_LT(max_abs_diff(o, want), kTol) << where;
      const Tensor r = randn(o.shape());
      autograd::backward(o, r);
      autograd::backward(want, r);
      EXPECT_LT(max_abs_diff(q.grad(), q2.grad()), kTol) << where << " dq";
      EXPECT_LT(max_abs_diff(k.grad(), k2.grad()), kTol) << where << " dk";
      EXPECT_LT(max_abs_diff(v.grad(), v2.grad()), kTol) << where << " dv";
    }
}

TEST(AttentionOp, GradcheckBothKernels) {
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference})
    for (const Case& c : cases()) {
      AttentionOptions opt;
      opt.mask = c.mask;
      opt.kernel = kernel;
      auto f = [&](const std::vector<Tensor>& in) {
        return scaled_dot_product_attention(in[0], in[1], in[2], opt).output;
      };
      // Narrow heads keep the number of perturbed elements small; the widths
      // themselves are covered above and by the kernel tests.
      const auto r =
          autograd::gradcheck(f, {leaf64({c.b, c.h, c.tq, 3}, 4), leaf64({c.b, c.g, c.tk, 3}, 5),
                                  leaf64({c.b, c.g, c.tk, 2}, 6)});
      EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
    }
}

TEST(AttentionOp, WeightsAreTheMaskedSoftmaxAndDifferentiable) {
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference})
    for (const Case& c : cases()) {
      AttentionOptions opt;
      opt.mask = c.mask;
      opt.kernel = kernel;
      opt.need_weights = true;
      const Tensor q = randn({c.b, c.h, c.tq, c.dh}), k = randn({c.b, c.g, c.tk, c.dh}),
                   v = randn({c.b, c.g, c.tk, c.dv});
      const AttentionOutput out = scaled_dot_product_attention(q, k, v, opt);
      // Weights times v equal the output: the weights are the ones used.
      const Tensor rep = reshape(expand(unsqueeze(v, 2), {c.b, c.g, c.h / c.g, c.tk, c.dv}),
                                 {c.b, c.h, c.tk, c.dv});
      EXPECT_LT(max_abs_diff(matmul(out.weights, rep), out.output), 2e-6) << c.name;
      auto f = [&](const std::vector<Tensor>& in) {
        return scaled_dot_product_attention(in[0], in[1], randn({c.b, c.g, c.tk, 2}, DType::f64),
                                            opt)
            .weights;
      };
      // v only scales the output, not the weights: it gets no gradient here.
      const auto r =
          autograd::gradcheck(f, {leaf64({c.b, c.h, c.tq, 3}, 7), leaf64({c.b, c.g, c.tk, 3}, 8)});
      EXPECT_TRUE(r.ok) << c.name << " weights: " << r.message;
    }
}

TEST(AttentionOp, FullyMaskedRowsGiveZerosNotNaN) {
  Tensor q = leaf32({2, 2, 3, 4}, 1), k = leaf32({2, 2, 5, 4}, 2), v = leaf32({2, 2, 5, 4}, 3);
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference}) {
    AttentionOptions opt;
    opt.kernel = kernel;
    opt.need_weights = true;
    opt.mask.key_lengths = from_vector(std::vector<std::int64_t>{0, 5}, {2});
    const AttentionOutput out = scaled_dot_product_attention(q, k, v, opt);
    const Tensor o0 = view::select(out.output, 0, 0), w0 = view::select(out.weights, 0, 0);
    EXPECT_EQ(max_abs_diff(o0, zeros(o0.shape())), 0.0);
    EXPECT_EQ(max_abs_diff(w0, zeros(w0.shape())), 0.0);
    q.set_grad(Tensor());
    k.set_grad(Tensor());
    autograd::backward(sum(out.output));
    const Tensor dq0 = view::select(q.grad(), 0, 0), dk0 = view::select(k.grad(), 0, 0);
    EXPECT_EQ(max_abs_diff(dq0, zeros(dq0.shape())), 0.0);
    EXPECT_EQ(max_abs_diff(dk0, zeros(dk0.shape())), 0.0);
    for (double x : q.grad().to_vector<double>()) EXPECT_FALSE(std::isnan(x));
  }
}

TEST(AttentionOp, DropoutIsReproducibleAndSharedByBothKernels) {
  const Tensor q = randn({2, 4, 9, 8}), k = randn({2, 2, 11, 8}), v = randn({2, 2, 11, 8});
  auto run = [&](AttentionKernel kernel, std::uint64_t seed, bool training) {
    Generator gen(seed);
    AttentionOptions opt;
    opt.dropout = 0.4;
    opt.training = training;
    opt.generator = &gen;
    opt.kernel = kernel;
    return scaled_dot_product_attention(q, k, v, opt).output;
  };
  const Tensor a = run(AttentionKernel::fused, 7, true);
  EXPECT_EQ(max_abs_diff(a, run(AttentionKernel::fused, 7, true)), 0.0);
  EXPECT_LT(max_abs_diff(a, run(AttentionKernel::reference, 7, true)), 2e-6);
  EXPECT_GT(max_abs_diff(a, run(AttentionKernel::fused, 8, true)), 0.1);
  // Not training: no dropout, whatever p.
  AttentionOptions plain;
  EXPECT_EQ(max_abs_diff(run(AttentionKernel::fused, 7, false),
                         scaled_dot_product_attention(q, k, v, plain).output),
            0.0);
  // Each call reserves its own counters, so two calls draw different masks.
  Generator gen(7);
  AttentionOptions opt;
  opt.dropout = 0.4;
  opt.training = true;
  opt.generator = &gen;
  const Tensor first = scaled_dot_product_attention(q, k, v, opt).output;
  EXPECT_EQ(max_abs_diff(first, a), 0.0);
  EXPECT_GT(max_abs_diff(scaled_dot_product_attention(q, k, v, opt).output, a), 0.1);
}

TEST(AttentionOp, DropoutGradcheck) {
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference}) {
    auto f = [&](const std::vector<Tensor>& in) {
      Generator gen(3);  // the same mask on every call
      AttentionOptions opt;
      opt.dropout = 0.3;
      opt.training = true;
      opt.generator = &gen;
      opt.kernel = kernel;
      opt.mask.causal = true;
      return scaled_dot_product_attention(in[0], in[1], in[2], opt).output;
    };
    EXPECT_GRADCHECK(f, (std::vector<Tensor>{leaf64({1, 2, 6, 4}, 1), leaf64({1, 1, 6, 4}, 2),
                                             leaf64({1, 1, 6, 3}, 3)}));
  }
}

TEST(AttentionOp, ScaleOption) {
  const Tensor q = randn({1, 2, 3, 4}), k = randn({1, 2, 5, 4}), v = randn({1, 2, 5, 4});
  AttentionOptions scaled;
  scaled.scale = 0.25;
  EXPECT_LT(max_abs_diff(scaled_dot_product_attention(q, k, v, scaled).output,
                         scaled_dot_product_attention(q * 0.5, k, v).output),
            1e-6);
}

TEST(AttentionOp, StridedInputsEqualDenseCopies) {
  // [B, T, h, dh] projections seen as [B, h, T, dh] without a copy.
  const Tensor q = view::transpose(randn({2, 5, 4, 8}), 1, 2);
  const Tensor k = view::transpose(randn({2, 6, 2, 8}), 1, 2);
  const Tensor v = view::transpose(randn({2, 6, 2, 8}), 1, 2);
  ASSERT_FALSE(q.is_contiguous());
  EXPECT_EQ(max_abs_diff(scaled_dot_product_attention(q, k, v).output,
                         scaled_dot_product_attention(view::contiguous(q), view::contiguous(k),
                                                      view::contiguous(v))
                             .output),
            0.0);
}

TEST(AttentionOp, NoKeysGiveZeros) {
  AttentionOptions opt;
  opt.need_weights = true;
  const AttentionOutput out = scaled_dot_product_attention(randn({2, 2, 3, 4}), randn({2, 2, 0, 4}),
                                                           randn({2, 2, 0, 5}), opt);
  EXPECT_EQ(out.output.shape(), (Shape{2, 2, 3, 5}));
  EXPECT_EQ(max_abs_diff(out.output, zeros({2, 2, 3, 5})), 0.0);
  EXPECT_EQ(out.weights.shape(), (Shape{2, 2, 3, 0}));
}

TEST(AttentionOp, ErrorsNameTheShapes) {
  auto message = [](const Tensor& q, const Tensor& k, const Tensor& v, AttentionOptions opt = {}) {
    try {
      scaled_dot_product_attention(q, k, v, opt);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Tensor q = randn({2, 4, 3, 8}), k = randn({2, 2, 5, 8}), v = randn({2, 2, 5, 6});
  EXPECT_NE(message(q, randn({2, 3, 5, 8}), randn({2, 3, 5, 6}))
                .find("3 key/value heads do not divide 4"),
            std::string::npos);
  EXPECT_NE(message(q, randn({2, 2, 5, 7}), v).find("do not fit"), std::string::npos);
  EXPECT_NE(message(randn({4, 3, 8}), k, v).find("expected q [B, h, Tq, dh]"), std::string::npos);
  EXPECT_NE(message(q, k, randn({2, 2, 5, 6}, DType::f64)).find("dtypes differ"),
            std::string::npos);
  AttentionOptions opt;
  opt.dropout = 1;
  EXPECT_NE(message(q, k, v, opt).find("dropout probability 1 is outside [0, 1)"),
            std::string::npos);
  opt = {};
  opt.mask.key_lengths = from_vector(std::vector<std::int64_t>{6, 1}, {2});
  EXPECT_NE(message(q, k, v, opt).find("key_lengths[0] = 6 is outside [0, 5]"), std::string::npos);
  opt = {};
  opt.mask.allowed = ones({2, 4, 3, 4});
  EXPECT_NE(message(q, k, v, opt).find("does not broadcast to the scores' shape [2, 4, 3, 5]"),
            std::string::npos)
      << message(q, k, v, opt);
}

}  // namespace
}  // namespace qkv
