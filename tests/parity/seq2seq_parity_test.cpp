// Parity with PyTorch 1.13 on the goldens of tools/make_golden_seq2seq.py: the
// encoder-decoder Transformer built from torch.nn.TransformerEncoder /
// TransformerDecoder with a shared, tied embedding and sinusoidal positions,
// post-norm and pre-norm, ReLU and GELU. Each variant checks the logits of a
// padded batch, the label-smoothed loss, the gradient of every parameter, and
// the losses before each of three Adam steps. PyTorch's parameter names reach
// qkv's through nn::from_pytorch.
//
// Tolerance: float32 on both sides through 2 + 2 layers, relative to each
// tensor's largest value when that is above 1. Measured: logits within 1.6e-6
// of values up to 3.2, gradients (of a mean over 19 tokens, at most 0.3)
// within 1.4e-7, losses within 8e-7. Bounds: 5e-6, 1e-6 and 2e-6.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "harness/golden_testing.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "models/seq2seq.h"
#include "nn/pytorch_import.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "optim/adam.h"

namespace qkv {
namespace {

using testing::expect_close;
using testing::max_abs_diff;
using testing::with_prefix;

constexpr double kLogitTol = 5e-6, kGradTol = 1e-6, kLossTol = 2e-6;

const SafetensorsFile& golden() {
  static const SafetensorsFile file =
      load_safetensors(std::string(QKV_TEST_DATA_DIR) + "/golden/seq2seq/seq2seq.safetensors");
  return file;
}

Tensor loss_of(const models::Seq2SeqTransformer& model) {
  const auto& t = golden().tensors;
  const Tensor logits = model.forward(t.at("src"), t.at("tgt_in"));
  CrossEntropyOptions ce;
  ce.ignore_index = 0;
  ce.label_smoothing = 0.1;
  return cross_entropy(reshape(logits, {-1, logits.size(2)}), reshape(t.at("tgt_out"), {-1}), ce);
}

void expect_variant_matches(const std::string& variant, bool norm_first, nn::Activation act) {
  models::Seq2SeqTransformer model({.src_vocab = 40,
                                    .tgt_vocab = 40,
                                    .d_model = 16,
                                    .num_heads = 4,
                                    .encoder_layers = 2,
                                    .decoder_layers = 2,
                                    .d_ff = 32,
                                    .dropout = 0,
                                    .attention_dropout = 0,
                                    .activation = act,
                                    .norm_first = norm_first,
                                    .max_len = 64});
  model.load_state_dict(nn::from_pytorch(with_prefix(golden(), "param.")));
  const auto& t = golden().tensors;
  const std::string p = variant + ".";

  const Tensor logits = model.forward(t.at("src"), t.at("tgt_in"));
  expect_close(logits, t.at(p + "logits"), kLogitTol, "logits");
  const Tensor loss = loss_of(model);
  EXPECT_NEAR(loss.item<double>(), t.at(p + "loss").item<double>(), kLossTol);
  autograd::backward(loss);
  const nn::StateDict grads = nn::from_pytorch(with_prefix(golden(), p + "grad."));
  EXPECT_EQ(grads.size(), model.named_parameters().size());
  for (const auto& [name, param] : model.named_parameters()) {
    ASSERT_TRUE(grads.count(name)) << name;
    expect_close(param.grad(), grads.at(name), kGradTol, "grad " + name);
  }

  optim::Adam adam(model.parameters(), {.lr = 1e-3});
  const auto want = t.at(p + "adam_losses").to_vector<double>();
  for (std::size_t step = 0; step < want.size(); ++step) {
    adam.zero_grad();
    const Tensor l = loss_of(model);
    std::printf("  adam step %zu loss %.7f, PyTorch %.7f\n", step, l.item<double>(), want[step]);
    EXPECT_NEAR(l.item<double>(), want[step], kLossTol) << "step " << step;
    autograd::backward(l);
    adam.step();
  }
}

TEST(Seq2SeqParity, PostNormRelu) {
  expect_variant_matches("post_relu", false, nn::Activation::relu);
}
TEST(Seq2SeqParity, PostNormGelu) {
  expect_variant_matches("post_gelu", false, nn::Activation::gelu);
}
TEST(Seq2SeqParity, PreNormRelu) { expect_variant_matches("pre_relu", true, nn::Activation::relu); }
TEST(Seq2SeqParity, PreNormGelu) { expect_variant_matches("pre_gelu", true, nn::Activation::gelu); }

}  // namespace
}  // namespace qkv
