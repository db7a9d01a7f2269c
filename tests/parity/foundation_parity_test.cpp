// Parity with PyTorch 1.13 on the goldens of tools/make_golden_foundation.py:
// a Linear-GELU-LayerNorm-Linear block with softmax and label-smoothed
// cross-entropy (forward and every gradient), and 5 optimizer steps of a small
// MLP (losses before each step and the final parameters).
//
// Tolerance: float32 computations that differ from PyTorch's only in the order
// of summation agree to a few ulps of the values involved; 2e-6 absolute on
// quantities of order 1 (about 16 ulps) with 1e-5 relative on the optimizer's
// final parameters, whose updates lr * m / sqrt(v) amplify rounding of tiny v.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "autograd/engine.h"
#include "core/view.h"
#include "harness/golden_testing.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "ops/activation.h"
#include "ops/linear.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "ops/softmax.h"
#include "optim/adam.h"
#include "optim/sgd.h"

namespace qkv {
namespace {

using testing::max_abs_diff;
using testing::with_prefix;

constexpr double kForwardTol = 2e-6;
constexpr double kGradTol = 2e-6;

SafetensorsFile golden(const std::string& name) {
  return load_safetensors(std::string(QKV_TEST_DATA_DIR) + "/golden/foundation/" + name);
}

// Max |a - b| / (|b| + 1e-3): a relative error that does not blow up near zero.
double max_rel_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  double m = 0;
  for (std::size_t i = 0; i < va.size() && i < vb.size(); ++i)
    m = std::max(m, std::abs(va[i] - vb[i]) / (std::abs(vb[i]) + 1e-3));
  return m;
}

TEST(FoundationParity, BlockForwardAndGradientsMatchPyTorch) {
  const auto g = golden("block.safetensors");
  const auto& t = g.tensors;
  nn::Linear fc1(8, 16), fc2(16, 7);
  nn::LayerNorm ln(16);
  for (auto [module, prefix] :
       {std::pair<nn::Module*, std::string>{&fc1, "fc1."}, {&ln, "ln."}, {&fc2, "fc2."}}) {
    const auto report = module->load_state_dict(with_prefix(g, prefix));
    EXPECT_TRUE(report.ok()) << prefix;
  }
  Tensor x = view::clone(t.at("x"));
  x.set_requires_grad(true);

  const Tensor logits = fc2.forward(ln.forward(gelu(fc1.forward(x))));
  const Tensor probs = softmax(logits);
  CrossEntropyOptions ce;
  ce.label_smoothing = 0.1;
  const Tensor loss = cross_entropy(reshape(logits, {-1, 7}), reshape(t.at("targets"), {-1}), ce);

  EXPECT_LE(max_abs_diff(logits, t.at("logits")), kForwardTol);
  EXPECT_LE(max_abs_diff(probs, t.at("probs")), kForwardTol);
  EXPECT_NEAR(loss.item<float>(), t.at("loss").item<double>(), kForwardTol);

  autograd::backward(loss);
  EXPECT_LE(max_abs_diff(x.grad(), t.at("grad.x")), kGradTol);
  const std::pair<const nn::Module*, std::string> modules[] = {
      {&fc1, "fc1."}, {&ln, "ln."}, {&fc2, "fc2."}};
  for (const auto& [module, prefix] : modules)
    for (const auto& [name, p] : module->named_parameters())
      EXPECT_LE(max_abs_diff(p.grad(), t.at("grad." + prefix + name)), kGradTol) << prefix << name;
}

// The MLP of the goldens: relu(x W1^T + b1) W2^T + b2.
Tensor mlp_loss(const nn::StateDict& p, const Tensor& x, const Tensor& y) {
  const Tensor h = relu(linear(x, p.at("fc1.weight"), p.at("fc1.bias")));
  return cross_entropy(linear(h, p.at("fc2.weight"), p.at("fc2.bias")), y);
}

template <class MakeOptimizer>
void expect_five_steps_match(const std::string& opt_name, MakeOptimizer make) {
  const auto g = golden("mlp_optim.safetensors");
  const auto& t = g.tensors;
  nn::StateDict params;
  std::vector<Tensor> list;
  for (const auto& [name, init] : with_prefix(g, "init.")) {
    Tensor p = view::clone(init);
    p.set_requires_grad(true);
    params[name] = p;
    list.push_back(p);
  }
  std::unique_ptr<optim::Optimizer> opt = make(list);
  const auto expected = t.at(opt_name + ".losses").to_vector<double>();
  ASSERT_EQ(expected.size(), 5u);
  for (int step = 0; step < 5; ++step) {
    opt->zero_grad();
    const Tensor loss = mlp_loss(params, t.at("data.x"), t.at("data.y"));
    EXPECT_NEAR(loss.item<float>(), expected[step], kForwardTol) << opt_name << " step " << step;
    autograd::backward(loss);
    opt->step();
  }
  for (const auto& [name, p] : params)
    EXPECT_LE(max_rel_diff(p, t.at(opt_name + ".final." + name)), 1e-5) << opt_name << " " << name;
}

TEST(FoundationParity, FiveAdamStepsMatchPyTorch) {
  expect_five_steps_match("adam", [](std::vector<Tensor> ps) {
    optim::AdamOptions o;
    o.lr = 1e-2;
    return std::make_unique<optim::Adam>(std::move(ps), o);
  });
}

TEST(FoundationParity, FiveAdamWStepsMatchPyTorch) {
  expect_five_steps_match("adamw", [](std::vector<Tensor> ps) {
    optim::AdamWOptions o;
    o.lr = 1e-2;
    o.weight_decay = 0.1;
    return std::make_unique<optim::AdamW>(std::move(ps), o);
  });
}

TEST(FoundationParity, FiveSgdMomentumStepsMatchPyTorch) {
  expect_five_steps_match("sgd", [](std::vector<Tensor> ps) {
    optim::SgdOptions o;
    o.momentum = 0.9;
    return std::make_unique<optim::SGD>(std::move(ps), 0.1, o);
  });
}

}  // namespace
}  // namespace qkv
