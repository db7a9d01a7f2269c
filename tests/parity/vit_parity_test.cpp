// Parity with PyTorch 1.13 on the goldens of tools/make_golden_vit.py: a Vision
// Transformer composed of torch modules (flattened patches through nn.Linear,
// [CLS], learned positions, a pre-norm GELU nn.TransformerEncoder with a final
// LayerNorm, a linear head) on 2-channel 8 x 8 images in 4 x 4 patches. It
// checks the logits, the label-smoothed loss, the gradient of every parameter
// and of the images, and the losses before each of three AdamW steps.
//
// Tolerance: float32 on both sides through 2 layers, relative to each
// tensor's largest value when that is above 1. Bounds: 5e-6 for logits, 1e-6
// for gradients, 2e-6 for losses (what the test prints is what was measured).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/golden_testing.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "models/vision_transformer.h"
#include "nn/pytorch_import.h"
#include "ops/loss.h"
#include "optim/adam.h"

namespace qkv {
namespace {

using testing::expect_close;
using testing::max_abs_diff;
using testing::with_prefix;

constexpr double kLogitTol = 5e-6, kGradTol = 1e-6, kLossTol = 2e-6;

const SafetensorsFile& golden() {
  static const SafetensorsFile file =
      load_safetensors(std::string(QKV_TEST_DATA_DIR) + "/golden/vit/vit.safetensors");
  return file;
}

std::unique_ptr<models::VisionTransformer> golden_model() {
  auto model = std::make_unique<models::VisionTransformer>(
      models::VisionTransformerConfig{.image_size = 8,
                                      .channels = 2,
                                      .patch_size = 4,
                                      .d_model = 16,
                                      .depth = 2,
                                      .num_heads = 4,
                                      .mlp_ratio = 2.0,
                                      .dropout = 0,
                                      .attention_dropout = 0,
                                      .num_classes = 5});
  model->load_state_dict(nn::from_pytorch(with_prefix(golden(), "param.")));
  return model;
}

Tensor loss_of(const models::VisionTransformer& model, const Tensor& images) {
  CrossEntropyOptions ce;
  ce.label_smoothing = 0.1;
  return cross_entropy(model.forward(images), golden().tensors.at("labels"), ce);
}

TEST(VitParity, LogitsLossAndGradients) {
  const auto model_ptr = golden_model();
  const auto& model = *model_ptr;
  const auto& t = golden().tensors;
  const Tensor images = view::clone(t.at("images"));
  images.set_requires_grad(true);
  expect_close(model.forward(images), t.at("logits"), kLogitTol, "logits");
  const Tensor loss = loss_of(model, images);
  EXPECT_NEAR(loss.item<double>(), t.at("loss").item<double>(), kLossTol);
  autograd::backward(loss);
  expect_close(images.grad(), t.at("grad.images"), kGradTol, "grad images");
  nn::StateDict by_name = with_prefix(golden(), "grad.");
  by_name.erase("images");  // the input's, compared above
  const nn::StateDict grads = nn::from_pytorch(by_name);
  EXPECT_EQ(grads.size(), model.named_parameters().size());
  for (const auto& [name, param] : model.named_parameters()) {
    ASSERT_TRUE(grads.count(name)) << name;
    expect_close(param.grad(), grads.at(name), kGradTol, "grad " + name);
  }
}

TEST(VitParity, AdamWSteps) {
  const auto model_ptr = golden_model();
  const auto& model = *model_ptr;
  optim::AdamW adamw(model.parameters(), {.lr = 1e-3, .weight_decay = 0.05});
  const auto want = golden().tensors.at("adamw_losses").to_vector<double>();
  for (std::size_t step = 0; step < want.size(); ++step) {
    adamw.zero_grad();
    const Tensor l = loss_of(model, golden().tensors.at("images"));
    std::printf("  adamw step %zu loss %.7f, PyTorch %.7f\n", step, l.item<double>(), want[step]);
    EXPECT_NEAR(l.item<double>(), want[step], kLossTol) << "step " << step;
    autograd::backward(l);
    adamw.step();
  }
}

}  // namespace
}  // namespace qkv
