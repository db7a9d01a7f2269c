// Parity with PyTorch 1.13 on the goldens of tools/make_golden_attention.py:
// nn.MultiheadAttention (self- and cross-attention, kdim/vdim, bool and float
// attention masks, key padding, weights averaged or per head), grouped- and
// multi-query attention composed of torch ops, and d2l.ai's additive
// attention. Each case checks the output, the attention weights and the
// gradient of sum(output * r_out) + sum(weights * r_w) with respect to every
// input and parameter; PyTorch's parameter names reach qkv's through
// nn::from_pytorch.
//
// Tolerance: float32 on both sides, summed in different orders. Outputs and
// weights agree to 2e-6, gradients (sums over up to 3 x 7 x 16 terms) to 5e-6,
// both relative to the tensor's largest value when that is above 1.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/golden_testing.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "nn/additive_attention.h"
#include "nn/multi_head_attention.h"
#include "nn/pytorch_import.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "ops/shape.h"

namespace qkv {
namespace {

using testing::expect_close;
using testing::max_abs_diff;
using testing::with_prefix;

constexpr double kForwardTol = 2e-6;
constexpr double kGradTol = 5e-6;

// One case of the golden file: its tensors without the prefix.
struct Golden {
  nn::StateDict t;
  const Tensor& operator[](const std::string& name) const {
    const auto it = t.find(name);
    if (it == t.end()) ADD_FAILURE() << "golden lacks " << name;
    return it->second;
  }
  // Parameters (PyTorch names), and their gradients, mapped to qkv's names.
  nn::StateDict params(const std::vector<std::string>& torch_names, bool grads = false) const {
    nn::StateDict d;
    for (const auto& n : torch_names) d[n] = (*this)[(grads ? "grad." : "") + n];
    return nn::from_pytorch(d);
  }
};

Golden golden(const std::string& prefix) {
  static const SafetensorsFile file =
      load_safetensors(std::string(QKV_TEST_DATA_DIR) + "/golden/attention/attention.safetensors");
  Golden g;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind(prefix, 0) == 0) g.t[name.substr(prefix.size())] = t;
  EXPECT_FALSE(g.t.empty()) << prefix;
  return g;
}

Tensor leaf(const Tensor& t) {
  Tensor c = view::clone(t);
  c.set_requires_grad(true);
  return c;
}

// PyTorch's masks mark what is hidden; qkv's what is allowed.
Tensor allowed_from_torch(const Tensor& hidden) { return 1.0 - view::to_dtype(hidden, DType::f32); }

std::vector<std::string> torch_mha_names(bool packed, bool bias) {
  std::vector<std::string> n;
  if (packed)
    n = {"in_proj_weight"};
  else
    n = {"q_proj_weight", "k_proj_weight", "v_proj_weight"};
  n.push_back("out_proj.weight");
  if (bias) {
    n.push_back("in_proj_bias");
    n.push_back("out_proj.bias");
  }
  return n;
}

// |got - want| <= tol * max(1, max |want|), printing the max difference of each
// tensor beside its largest value.
void expect_module_matches(const nn::Module& m, const Golden& g, const nn::StateDict& want_grads,
                           const Tensor& output, const Tensor& weights) {
  expect_close(output, g["output"], kForwardTol, "output");
  expect_close(weights, g["weights"], kForwardTol, "weights");
  autograd::backward(sum(output * g["r_out"]) + sum(weights * g["r_w"]));
  for (const auto& [name, p] : m.named_parameters()) {
    ASSERT_TRUE(want_grads.count(name)) << name;
    expect_close(p.grad(), want_grads.at(name), kGradTol, "grad " + name);
  }
}

TEST(AttentionParity, MultiheadSelfAttentionWithPaddingAndCausalMask) {
  const Golden g = golden("mha_self.");
  nn::MultiHeadAttention mha({.d_model = 16, .num_heads = 4});
  const auto names = torch_mha_names(true, true);
  mha.load_state_dict(g.params(names));
  const Tensor x = leaf(g["x"]);
  nn::MultiHeadAttentionOptions opt;
  opt.mask.key_valid = allowed_from_torch(g["key_padding_mask"]);
  opt.mask.allowed = allowed_from_torch(g["attn_mask_bool"]);
  opt.need_weights = true;
  const auto out = mha.forward(x, opt);
  expect_module_matches(mha, g, g.params(names, true), out.output, out.weights);
  expect_close(x.grad(), g["grad.x"], kGradTol, "grad.x");

  // The causal flag and key lengths say the same as those masks.
  nn::MultiHeadAttentionOptions flags;
  flags.mask.causal = true;
  flags.mask.key_lengths = from_vector(std::vector<std::int64_t>{6, 4, 1}, {3});
  flags.need_weights = true;
  const auto same = mha.forward(g["x"], flags);
  EXPECT_LE(max_abs_diff(same.output, g["output"]), kForwardTol);
  EXPECT_LE(max_abs_diff(same.weights, g["weights"]), kForwardTol);
}

TEST(AttentionParity, MultiheadCrossAttentionWithKdimVdimAndFloatMask) {
  const Golden g = golden("mha_cross.");
  nn::MultiHeadAttention mha({.d_model = 16, .num_heads = 2, .kdim = 10, .vdim = 12});
  const auto names = torch_mha_names(false, true);
  mha.load_state_dict(g.params(names));
  const Tensor q = leaf(g["query"]), k = leaf(g["key"]), v = leaf(g["value"]);
  nn::MultiHeadAttentionOptions opt;
  opt.mask.key_valid = allowed_from_torch(g["key_padding_mask"]);
  opt.mask.additive = g["attn_mask_float"];
  opt.need_weights = true;
  opt.average_weights = false;
  const auto out = mha.forward(q, k, v, opt);
  EXPECT_EQ(out.weights.shape(), (Shape{2, 2, 5, 7}));
  expect_module_matches(mha, g, g.params(names, true), out.output, out.weights);
  expect_close(q.grad(), g["grad.query"], kGradTol, "grad.query");
  expect_close(k.grad(), g["grad.key"], kGradTol, "grad.key");
  expect_close(v.grad(), g["grad.value"], kGradTol, "grad.value");
}

TEST(AttentionParity, MultiheadPerHeadBoolMaskWithoutBias) {
  const Golden g = golden("mha_mask3d.");
  nn::MultiHeadAttention mha({.d_model = 12, .num_heads = 3, .bias = false});
  const auto names = torch_mha_names(true, false);
  mha.load_state_dict(g.params(names));
  const Tensor x = leaf(g["x"]);
  nn::MultiHeadAttentionOptions opt;
  // PyTorch's [B * h, Tq, Tk] is qkv's [B, h, Tq, Tk].
  opt.mask.allowed = reshape(allowed_from_torch(g["attn_mask_bool"]), {2, 3, 4, 4});
  opt.need_weights = true;
  const auto out = mha.forward(x, opt);
  expect_module_matches(mha, g, g.params(names, true), out.output, out.weights);
  expect_close(x.grad(), g["grad.x"], kGradTol, "grad.x");
}

void expect_grouped_matches(const std::string& prefix, std::int64_t kv_heads) {
  const Golden g = golden(prefix);
  nn::MultiHeadAttention mha({.d_model = 16, .num_heads = 4, .num_kv_heads = kv_heads});
  std::vector<std::string> names;
  for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"})
    for (const char* w : {".weight", ".bias"}) names.push_back(std::string(p) + w);
  mha.load_state_dict(g.params(names));
  const Tensor x = leaf(g["x"]);
  nn::MultiHeadAttentionOptions opt;
  opt.mask.causal = true;
  opt.mask.key_lengths = g["key_lengths"];
  opt.need_weights = true;
  opt.average_weights = false;
  for (AttentionKernel kernel : {AttentionKernel::fused, AttentionKernel::reference}) {
    opt.kernel = kernel;
    mha.zero_grad();
    x.set_grad(Tensor());
    const auto out = mha.forward(x, opt);
    expect_module_matches(mha, g, g.params(names, true), out.output, out.weights);
    expect_close(x.grad(), g["grad.x"], kGradTol, "grad.x");
  }
}

TEST(AttentionParity, GroupedQueryAttention) { expect_grouped_matches("gqa.", 2); }

TEST(AttentionParity, MultiQueryAttention) { expect_grouped_matches("mqa.", 1); }

TEST(AttentionParity, AdditiveAttentionAsD2l) {
  const Golden g = golden("additive.");
  nn::AdditiveAttention att(20, 2, 8);
  att.load_state_dict({{"W_q.weight", g["W_q.weight"]},
                       {"W_k.weight", g["W_k.weight"]},
                       {"w_v.weight", g["w_v.weight"]}});
  const Tensor q = leaf(g["queries"]), k = leaf(g["keys"]), v = leaf(g["values"]);
  AttentionMask mask;
  mask.key_lengths = g["key_lengths"];
  const auto out = att.forward(q, k, v, mask, true);
  nn::StateDict grads;
  for (const char* n : {"W_q.weight", "W_k.weight", "w_v.weight"})
    grads[n] = g[std::string("grad.") + n];
  expect_module_matches(att, g, grads, out.output, out.weights);
  expect_close(q.grad(), g["grad.queries"], kGradTol, "grad.queries");
  expect_close(k.grad(), g["grad.keys"], kGradTol, "grad.keys");
  expect_close(v.grad(), g["grad.values"], kGradTol, "grad.values");
}

}  // namespace
}  // namespace qkv
