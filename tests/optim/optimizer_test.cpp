#include "optim/optimizer.h"

#include <gtest/gtest.h>

#include "core/view.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "optim/adam.h"
#include "optim/optim_testing.h"
#include "optim/sgd.h"

namespace qkv {
namespace {

using optim::Adam;
using optim::SGD;
using testing::expect_error;

Tensor param(const std::vector<float>& values, const Shape& shape) {
  Tensor p = from_vector(values, shape);
  p.set_requires_grad(true);
  return p;
}

// Gradient for step s of a small deterministic sequence.
void set_grads(const std::vector<Tensor>& ps, int s) {
  for (std::size_t i = 0; i < ps.size(); ++i) {
    std::vector<float> g(ps[i].numel());
    for (std::size_t j = 0; j < g.size(); ++j)
      g[j] = 0.1f * static_cast<float>((s + 1) * (j + 1)) - 0.3f * static_cast<float>(i);
    ps[i].set_grad(from_vector(g, ps[i].shape()));
  }
}

std::vector<Tensor> fresh_params() {
  return {param({1, -2, 3, 0.5, 0, -1}, {2, 3}), param({0.25, -0.75}, {2})};
}

std::vector<Tensor> copies(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const Tensor& p : ps) {
    out.push_back(view::clone(p));
    out.back().set_requires_grad(true);
  }
  return out;
}

std::map<std::string, Tensor> snapshot(const std::map<std::string, Tensor>& state) {
  std::map<std::string, Tensor> out;
  for (const auto& [k, t] : state) out[k] = view::clone(t);
  return out;
}

// Steps `a` twice, saves its state, loads it into `b` (over copies of a's
// parameters), then steps both twice more with the same gradients: the
// parameters must stay bit-identical. `transport` carries the saved state
// from one optimizer to the other.
template <class Make, class Transport = decltype(&snapshot)>
void expect_resume_identical(Make make, Transport transport = &snapshot) {
  std::vector<Tensor> pa = fresh_params();
  auto a = make(pa);
  for (int s = 0; s < 2; ++s) {
    set_grads(pa, s);
    a->step();
  }
  const auto saved = transport(a->state_dict());
  std::vector<Tensor> pb = copies(pa);
  auto b = make(pb);
  b->load_state_dict(saved);
  EXPECT_EQ(b->step_count(), 2);
  for (int s = 2; s < 4; ++s) {
    set_grads(pa, s);
    set_grads(pb, s);
    a->step();
    b->step();
  }
  for (std::size_t i = 0; i < pa.size(); ++i)
    EXPECT_EQ(pa[i].to_vector<float>(), pb[i].to_vector<float>()) << "parameter " << i;
}

TEST(Optimizer, AdamStateDictRoundTripContinuesIdentically) {
  expect_resume_identical([](std::vector<Tensor> ps) {
    return std::make_unique<optim::AdamW>(std::move(ps), optim::AdamWOptions{.lr = 0.05});
  });
}

TEST(Optimizer, SgdStateDictRoundTripContinuesIdentically) {
  expect_resume_identical([](std::vector<Tensor> ps) {
    return std::make_unique<SGD>(std::move(ps), 0.1, optim::SgdOptions{.momentum = 0.9});
  });
}

TEST(Optimizer, StateDictSurvivesASafetensorsRoundTrip) {
  // The step counters are 0-dim int64 tensors; the file format must keep them.
  expect_resume_identical(
      [](std::vector<Tensor> ps) {
        return std::make_unique<Adam>(std::move(ps), optim::AdamOptions{.lr = 0.05});
      },
      [](const std::map<std::string, Tensor>& state) {
        return parse_safetensors(serialize_safetensors(state)).tensors;
      });
}

TEST(Optimizer, StateDictNamesAndShapes) {
  std::vector<Tensor> ps = fresh_params();
  Adam opt(ps);
  EXPECT_EQ(opt.state_dict().size(), 1u);  // only "step" before any update
  set_grads(ps, 0);
  opt.step();
  const auto state = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& kv : state) keys.push_back(kv.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step",
                                            "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.step",
                                            "step"}));
  EXPECT_EQ(state.at("state.0.exp_avg").shape(), (Shape{2, 3}));
  EXPECT_EQ(state.at("state.1.exp_avg_sq").dtype(), DType::f32);
  EXPECT_EQ(state.at("step").dtype(), DType::i64);
  EXPECT_EQ(state.at("step").item<std::int64_t>(), 1);
  // m = (1 - beta1) g on the first step.
  EXPECT_NEAR(state.at("state.1.exp_avg").to_vector<float>()[1], 0.1 * (0.2 - 0.3), 1e-7);
}

TEST(Optimizer, LoadStateDictRejectsMismatches) {
  std::vector<Tensor> ps = fresh_params();
  Adam opt(ps);
  set_grads(ps, 0);
  opt.step();
  const auto good = snapshot(opt.state_dict());
  auto with = [&](const std::string& key, const Tensor& t) {
    auto s = good;
    s[key] = t;
    return s;
  };
  auto without = [&](const std::string& key) {
    auto s = good;
    s.erase(key);
    return s;
  };
  Adam other(fresh_params());
  expect_error([&] { other.load_state_dict(without("step")); }, "Adam state: missing key 'step'");
  expect_error([&] { other.load_state_dict(with("step", scalar_tensor(1))); },
               "'step' must be an int64 scalar, got dtype float32");
  expect_error(
      [&] {
        other.load_state_dict(with("state.0.momentum_buffer", zeros({2, 3})));
      },
      "unknown key 'state.0.momentum_buffer'; expected 'step' or "
      "'state.<index>.<exp_avg|exp_avg_sq|step>'");
  expect_error([&] { other.load_state_dict(with("lr", scalar_tensor(1))); }, "unknown key 'lr'");
  expect_error([&] { other.load_state_dict(with("state.2.exp_avg", zeros({2}))); },
               "'state.2.exp_avg' is for parameter 2 but the optimizer has 2 parameters");
  expect_error(
      [&] {
        other.load_state_dict(with("state.0.exp_avg", zeros({3, 2})));
      },
      "'state.0.exp_avg' has shape [3, 2] but parameter 0 has shape [2, 3]");
  expect_error([&] { other.load_state_dict(with("state.1.exp_avg_sq", zeros({2}, DType::f64))); },
               "has dtype float64 but parameter 1 has dtype float32");
  expect_error([&] { other.load_state_dict(without("state.1.exp_avg_sq")); },
               "'state.1.exp_avg_sq' is missing while parameter 1 has 'exp_avg'");
  // A failed load leaves the optimizer as it was.
  EXPECT_EQ(other.state_dict().size(), 1u);

  SGD sgd(fresh_params(), 0.1);  // no momentum: no per-parameter state at all
  expect_error([&] { sgd.load_state_dict(good); },
               "SGD state: unknown key 'state.0.exp_avg'; expected 'step' or "
               "'state.<index>.<none>'");
}

TEST(Optimizer, LoadedStateIsACopy) {
  std::vector<Tensor> ps = fresh_params();
  Adam opt(ps);
  set_grads(ps, 0);
  opt.step();
  auto state = snapshot(opt.state_dict());
  Adam other(copies(ps));
  other.load_state_dict(state);
  fill_(state.at("state.0.exp_avg"), 42.0);
  EXPECT_NE(other.state_dict().at("state.0.exp_avg").to_vector<float>()[0], 42.0f);
}

TEST(Optimizer, ZeroGradDropsOrZeroesGradients) {
  std::vector<Tensor> ps = fresh_params();
  SGD opt(ps, 0.1);
  set_grads(ps, 0);
  opt.zero_grad(/*set_to_none=*/false);
  EXPECT_EQ(ps[1].grad().to_vector<float>(), (std::vector<float>{0, 0}));
  opt.zero_grad();
  EXPECT_FALSE(ps[0].grad().defined());
  EXPECT_FALSE(ps[1].grad().defined());
  const auto before = ps[0].to_vector<float>();
  opt.step();  // no gradients: nothing moves
  EXPECT_EQ(ps[0].to_vector<float>(), before);
}

TEST(Optimizer, StepDoesNotRecordTheGraph) {
  std::vector<Tensor> ps = fresh_params();
  Adam opt(ps);
  set_grads(ps, 0);
  opt.step();
  EXPECT_TRUE(ps[0].is_leaf());
  EXPECT_TRUE(ps[0].requires_grad());
}

TEST(Optimizer, SetLrTakesEffectOnTheNextStep) {
  Tensor p = param({1}, {1});
  SGD opt({p}, 0.1);
  opt.set_lr(0.5);
  EXPECT_EQ(opt.lr(), 0.5);
  p.set_grad(from_vector(std::vector<float>{1}, {1}));
  opt.step();
  EXPECT_FLOAT_EQ(p.item<float>(), 0.5f);
  expect_error([&] { opt.set_lr(-1); }, "SGD: invalid learning rate -1");
  expect_error([&] { opt.set_lr(NAN); }, "invalid learning rate nan");
}

TEST(Optimizer, RejectsBadParameterLists) {
  expect_error([] { SGD({}, 0.1); }, "SGD: got an empty parameter list");
  expect_error([] { SGD({Tensor()}, 0.1); }, "parameter 0 is an undefined tensor");
  expect_error([] { SGD({zeros({2})}, 0.1); },
               "parameter 0 of shape [2] must be a leaf tensor that requires a gradient");
  Tensor ids = zeros({2}, DType::i64);
  expect_error([&] { Adam({ids}); }, "Adam: parameter 0 has dtype int64");
  Tensor p = param({1, 2, 3, 4}, {2, 2});
  expect_error([&] { SGD({p, p}, 0.1); }, "parameter 1 appears more than once");
  Tensor t = view::transpose(p, 0, 1);
  t.set_requires_grad(true);
  expect_error([&] { SGD({t}, 0.1); }, "must be contiguous");
}

}  // namespace
}  // namespace qkv
