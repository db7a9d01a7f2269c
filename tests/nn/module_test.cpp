#include "nn/module.h"

#include <gtest/gtest.h>

#include <string>

#include "autograd/engine.h"
#include "autograd/record.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "nn/linear.h"
#include "nn/module_list.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

// Parameters and a child registered interleaved: own parameters list first.
class Mixed : public Module {
 public:
  Mixed() {
    register_parameter("b", zeros({2}));
    child = register_module("child", std::make_shared<Linear>(2, 3));
    register_parameter("a", zeros({1}));
    register_buffer("running", ones({2}));
    register_buffer("scratch", zeros({2}), false);
  }
  std::string name() const override { return "Mixed"; }
  std::shared_ptr<Linear> child;
};

// A miniature encoder: model.encoder.layers.N.self_attn.{q,k}_proj and .norm.
class Attention : public Module {
 public:
  explicit Attention(Generator& gen) {
    q_proj = register_module("q_proj", std::make_shared<Linear>(4, 4, true, gen));
    k_proj = register_module("k_proj", std::make_shared<Linear>(4, 4, false, gen));
  }
  std::string name() const override { return "Attention"; }
  std::shared_ptr<Linear> q_proj, k_proj;
};

class Layer : public Module {
 public:
  explicit Layer(Generator& gen) {
    self_attn = register_module("self_attn", std::make_shared<Attention>(gen));
    scale = register_parameter("scale", ones({4}));
    register_buffer("steps", zeros({}, DType::i64));
  }
  std::string name() const override { return "Layer"; }
  // x [N, 4] -> [N, 4]
  Tensor forward(const Tensor& x) const {
    return self_attn->k_proj->forward(self_attn->q_proj->forward(x)) * scale;
  }
  std::shared_ptr<Attention> self_attn;
  Tensor scale;
};

class Encoder : public Module {
 public:
  Encoder(int n_layers, Generator& gen) {
    layers = register_module("layers", std::make_shared<ModuleList<Layer>>());
    for (int i = 0; i < n_layers; ++i) layers->push_back(std::make_shared<Layer>(gen));
  }
  std::string name() const override { return "Encoder"; }
  Tensor forward(Tensor x) const {
    for (const auto& layer : *layers) x = layer->forward(x);
    return x;
  }
  std::shared_ptr<ModuleList<Layer>> layers;
};

class Model : public Module {
 public:
  explicit Model(std::uint64_t seed, int n_layers = 2) : gen(seed) {
    encoder = register_module("encoder", std::make_shared<Encoder>(n_layers, gen));
    head = register_module("head", std::make_shared<Linear>(4, 2, true, gen));
  }
  std::string name() const override { return "Model"; }
  Tensor forward(const Tensor& x) const { return head->forward(encoder->forward(x)); }
  Generator gen;
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<Linear> head;
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& [n, t] : named) out.push_back(n);
  return out;
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

TEST(Module, OwnParametersFirstThenChildrenInRegistrationOrder) {
  Mixed m;
  EXPECT_EQ(names_of(m.named_parameters()),
            (std::vector<std::string>{"b", "a", "child.weight", "child.bias"}));
  EXPECT_EQ(names_of(m.named_buffers()), (std::vector<std::string>{"running", "scratch"}));
  EXPECT_EQ(m.named_children().size(), 1u);
  EXPECT_EQ(m.children()[0], m.child);
  EXPECT_EQ(m.num_parameters(), 2 + 1 + 6 + 3);
  for (const Tensor& p : m.parameters()) EXPECT_TRUE(p.requires_grad());
  for (const auto& [n, b] : m.named_buffers()) EXPECT_FALSE(b.requires_grad());
}

TEST(Module, NestedDottedNames) {
  Model m(1);
  EXPECT_EQ(
      names_of(m.named_parameters()),
      (std::vector<std::string>{
          "encoder.layers.0.scale", "encoder.layers.0.self_attn.q_proj.weight",
          "encoder.layers.0.self_attn.q_proj.bias", "encoder.layers.0.self_attn.k_proj.weight",
          "encoder.layers.1.scale", "encoder.layers.1.self_attn.q_proj.weight",
          "encoder.layers.1.self_attn.q_proj.bias", "encoder.layers.1.self_attn.k_proj.weight",
          "head.weight", "head.bias"}));
  EXPECT_EQ(names_of(m.named_buffers()),
            (std::vector<std::string>{"encoder.layers.0.steps", "encoder.layers.1.steps"}));
  EXPECT_EQ(m.encoder->layers->size(), 2);
  EXPECT_EQ(&(*m.encoder->layers)[1], m.encoder->layers->begin()[1].get());
  EXPECT_THROW((*m.encoder->layers)[2], Error);
}

TEST(Module, RegistrationRejectsBadNamesAndTensors) {
  class Bad : public Module {
   public:
    std::string name() const override { return "Bad"; }
    void add_param(const std::string& n, Tensor t) { register_parameter(n, t); }
    void add_buffer(const std::string& n, Tensor t) { register_buffer(n, t); }
    void add_child(const std::string& n) { register_module(n, std::make_shared<Linear>(1, 1)); }
  };
  Bad m;
  m.add_param("w", zeros({1}));
  EXPECT_NE(error_of([&] { m.add_param("w", zeros({1})); }).find("'w'"), std::string::npos);
  EXPECT_THROW(m.add_buffer("w", zeros({1})), Error);
  EXPECT_THROW(m.add_child("w"), Error);
  EXPECT_NE(error_of([&] { m.add_param("a.b", zeros({1})); }).find("'a.b'"), std::string::npos);
  EXPECT_THROW(m.add_param("", zeros({1})), Error);
  EXPECT_THROW(m.add_param("ids", arange(3)), Error);
  EXPECT_THROW(m.add_param("u", Tensor()), Error);
  EXPECT_THROW(m.add_buffer("u", Tensor()), Error);
  const Tensor leaf = ones({2});
  leaf.set_requires_grad(true);
  EXPECT_THROW(m.add_param("computed", leaf * 2.0), Error);
  m.add_buffer("ids", arange(3));  // buffers may be of any dtype
  m.add_child("sub");
  EXPECT_EQ(names_of(m.named_parameters()),
            (std::vector<std::string>{"w", "sub.weight", "sub.bias"}));
}

TEST(Module, TrainAndEvalReachEveryDescendant) {
  Model m(1);
  EXPECT_TRUE(m.is_training());
  m.eval();
  EXPECT_FALSE(m.is_training());
  EXPECT_FALSE(m.encoder->layers->is_training());
  EXPECT_FALSE(m.encoder->layers->begin()[1]->self_attn->k_proj->is_training());
  m.encoder->train();
  EXPECT_FALSE(m.is_training());
  EXPECT_TRUE(m.encoder->layers->begin()[0]->self_attn->is_training());
  m.train(true);
  EXPECT_TRUE(m.head->is_training());
}

TEST(Module, ZeroGradDropsEveryGradient) {
  Model m(1);
  autograd::backward(sum(m.forward(ones({3, 4}))));
  for (const auto& [n, p] : m.named_parameters()) EXPECT_TRUE(p.grad().defined()) << n;
  m.zero_grad();
  for (const auto& [n, p] : m.named_parameters()) EXPECT_FALSE(p.grad().defined()) << n;
}

TEST(Module, SharedParameterListedOnce) {
  class Tied : public Module {
   public:
    Tied() {
      first = register_module("first", std::make_shared<Linear>(3, 3));
      second = register_module("second", std::make_shared<Linear>(3, 3));
      register_parameter("tied", first->weight());
    }
    std::string name() const override { return "Tied"; }
    std::shared_ptr<Linear> first, second;
  };
  Tied m;
  EXPECT_EQ(names_of(m.named_parameters()),
            (std::vector<std::string>{"tied", "first.bias", "second.weight", "second.bias"}));
  EXPECT_EQ(m.num_parameters(), 9 + 3 + 9 + 3);
  const StateDict sd = m.state_dict();
  EXPECT_EQ(sd.count("tied") + sd.count("first.weight"), 2u);
}

TEST(Module, StateDictHoldsDetachedParametersAndPersistentBuffers) {
  Mixed m;
  const StateDict sd = m.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, v] : sd) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "child.bias", "child.weight", "running"}));
  for (const auto& [k, v] : sd) EXPECT_FALSE(v.requires_grad()) << k;
  // The entries share storage with the module (like PyTorch's state_dict).
  EXPECT_EQ(sd.at("child.weight").storage(), m.child->weight().storage());
}

TEST(Module, StateDictRoundTripGivesIdenticalOutputs) {
  Model source(1, 3), target(2, 3);
  const Tensor x = randn({5, 4});
  ASSERT_NE(source.forward(x).to_vector<float>(), target.forward(x).to_vector<float>());
  // Keep a handle the way an optimizer would: it must see the loaded values.
  const Tensor held = target.encoder->layers->begin()[2]->self_attn->q_proj->weight();
  const LoadReport report = target.load_state_dict(source.state_dict());
  EXPECT_TRUE(report.ok()) << report.to_string();
  EXPECT_EQ(source.forward(x).to_vector<float>(), target.forward(x).to_vector<float>());
  EXPECT_EQ(held.to_vector<float>(),
            source.encoder->layers->begin()[2]->self_attn->q_proj->weight().to_vector<float>());
  EXPECT_TRUE(held.requires_grad());
  // A copy, not shared storage: training the target leaves the source alone.
  EXPECT_NE(held.storage(),
            source.encoder->layers->begin()[2]->self_attn->q_proj->weight().storage());
}

// A dict for Mixed with one of each problem.
StateDict broken_dict_for(const Mixed& m) {
  StateDict sd = m.state_dict();
  sd.erase("a");                           // missing
  sd["extra.weight"] = zeros({1});         // unexpected
  sd["child.weight"] = zeros({2, 3});      // wrong shape ([3, 2] expected)
  sd["running"] = zeros({2}, DType::f64);  // wrong dtype
  sd["b"] = full({2}, 7.0);                // fine
  return sd;
}

TEST(Module, LoadStateDictReportsEveryProblemByName) {
  Mixed m;
  const LoadReport report = m.load_state_dict(broken_dict_for(m), false);
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.missing, (std::vector<std::string>{"a"}));
  EXPECT_EQ(report.unexpected, (std::vector<std::string>{"extra.weight"}));
  ASSERT_EQ(report.mismatched.size(), 2u);
  EXPECT_EQ(report.mismatched[0].name, "child.weight");
  EXPECT_EQ(report.mismatched[0].expected_shape, (Shape{3, 2}));
  EXPECT_EQ(report.mismatched[0].got_shape, (Shape{2, 3}));
  EXPECT_EQ(report.mismatched[1].name, "running");
  EXPECT_EQ(report.mismatched[1].expected_dtype, DType::f32);
  EXPECT_EQ(report.mismatched[1].got_dtype, DType::f64);
  // Non-strict: the entries that fit were loaded, the others left alone.
  EXPECT_EQ(m.named_parameters()[0].second.to_vector<float>(), (std::vector<float>{7, 7}));
  EXPECT_EQ(m.named_buffers()[0].second.to_vector<float>(), (std::vector<float>{1, 1}));
}

TEST(Module, StrictLoadThrowsOneErrorNamingAllAndLoadsNothing) {
  Mixed m;
  const std::string msg = error_of([&] { m.load_state_dict(broken_dict_for(m)); });
  for (const char* part : {"Mixed", "missing: a", "unexpected: extra.weight",
                           "child.weight (expected [3, 2] float32, got [2, 3] float32)",
                           "running (expected [2] float32, got [2] float64)"})
    EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
  EXPECT_EQ(m.named_parameters()[0].second.to_vector<float>(), (std::vector<float>{0, 0}));
  // A complete dict loads under strict.
  Mixed other;
  EXPECT_TRUE(other.load_state_dict(m.state_dict()).ok());
}

TEST(Module, ToConvertsInPlace) {
  Model m(1);
  const Tensor held = m.head->weight();
  const std::vector<double> before = held.to_vector<double>();
  autograd::backward(sum(m.forward(ones({1, 4}))));
  m.to(DType::f64);
  EXPECT_EQ(held.dtype(), DType::f64);
  EXPECT_EQ(held.to_vector<double>(), before);  // float32 values are exact in float64
  EXPECT_TRUE(held.requires_grad());
  EXPECT_FALSE(held.grad().defined());
  for (const auto& [n, p] : m.named_parameters()) EXPECT_EQ(p.dtype(), DType::f64) << n;
  for (const auto& [n, b] : m.named_buffers()) EXPECT_EQ(b.dtype(), DType::i64) << n;
  const Tensor y = m.forward(ones({1, 4}, DType::f64));
  EXPECT_EQ(y.dtype(), DType::f64);
  EXPECT_THROW(m.to(DType::i64), Error);
}

TEST(Module, PrintsTheTreeWithShapes) {
  Mixed m;
  EXPECT_EQ(m.to_string(),
            "Mixed()\n"
            "  b [2] float32\n"
            "  a [1] float32\n"
            "  running [2] float32 (buffer)\n"
            "  scratch [2] float32 (buffer, not saved)\n"
            "  (child): Linear(in=2, out=3, bias=true)\n"
            "    weight [3, 2] float32\n"
            "    bias [3] float32\n");
  const std::string tree = Model(1).to_string();
  EXPECT_NE(
      tree.find("  (encoder): Encoder()\n    (layers): ModuleList(size=2)\n      (0): Layer()\n"),
      std::string::npos)
      << tree;
  EXPECT_NE(tree.find("\n            weight [4, 4] float32\n"), std::string::npos) << tree;
}

TEST(Module, GradcheckHarnessCatchesAWrongGradient) {
  // A module whose backward doubles the true gradient must fail the check.
  class Wrong : public Module {
   public:
    Wrong() {
      w = register_parameter("w", from_vector(std::vector<double>{1, 2}, {2}, DType::f64));
    }
    std::string name() const override { return "Wrong"; }
    Tensor forward() const {
      return autograd::record("wrong", view::clone(w), {w}, [](const autograd::BackwardContext& c) {
        return std::vector<Tensor>{c.grad() * 2.0};
      });
    }
    Tensor w;
  };
  Wrong m;
  EXPECT_FALSE(testing::module_gradcheck(m, [&] { return m.forward(); }).ok);
}

}  // namespace
}  // namespace qkv::nn
