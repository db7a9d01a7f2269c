#include "models/vision_transformer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/error.h"
#include "data/data_path.h"
#include "data/idx_images.h"
#include "data/image_augment.h"
#include "harness/module_testing.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "optim/adam.h"

namespace qkv::models {
namespace {

VisionTransformerConfig tiny() {
  return {.image_size = 4,
          .channels = 2,
          .patch_size = 2,
          .d_model = 4,
          .depth = 1,
          .num_heads = 2,
          .mlp_ratio = 1.5,
          .dropout = 0,
          .attention_dropout = 0,
          .num_classes = 3};
}

TEST(VisionTransformer, ParametersAndShapes) {
  VisionTransformer m(tiny());
  const auto p = m.named_parameters();
  // The module's own parameter first, then its children's in registration order.
  EXPECT_EQ(p.front().first, "cls_token");
  EXPECT_EQ(p[1].first, "patch_embed.weight");
  EXPECT_EQ(p[1].second.shape(), (Shape{4, 8}));
  EXPECT_EQ(p[3].first, "positions.weight");
  EXPECT_EQ(p[3].second.shape(), (Shape{5, 4}));
  EXPECT_EQ(p.back().first, "head.bias");
  std::vector<Tensor> weights;
  const Tensor logits = m.forward(randn({5, 2, 4, 4}), &weights);
  EXPECT_EQ(logits.shape(), (Shape{5, 3}));
  ASSERT_EQ(weights.size(), 1u);
  EXPECT_EQ(weights[0].shape(), (Shape{5, 2, 5, 5}));  // 4 patches + [CLS]
  EXPECT_THROW(m.forward(randn({5, 1, 4, 4})), Error);
}

TEST(VisionTransformer, PatchesAreChannelRowColumnInRasterOrder) {
  VisionTransformer m(tiny());
  std::vector<float> v(2 * 4 * 4);
  std::iota(v.begin(), v.end(), 0.0f);  // pixel (c, y, x) = 16 c + 4 y + x
  const auto rows = m.patchify(from_vector(v, {1, 2, 4, 4})).to_vector<float>();
  // Patch 1 is (row 0, column 1): x in {2, 3}, y in {0, 1}.
  const std::vector<float> want = {2, 3, 6, 7, 18, 19, 22, 23};
  EXPECT_EQ(std::vector<float>(rows.begin() + 8, rows.begin() + 16), want);
}

TEST(VisionTransformer, ConfigErrorsNameTheField) {
  auto c = tiny();
  c.patch_size = 3;
  try {
    VisionTransformer m(c);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("patch_size 3 must divide image_size 4"),
              std::string::npos);
  }
  c = tiny();
  c.dropout = 1;
  EXPECT_THROW(VisionTransformer{c}, Error);
}

TEST(VisionTransformer, GradcheckTinyModel) {
  Generator gen(3);
  VisionTransformer m(tiny(), gen);
  m.to(DType::f64);
  const Tensor images = randn({2, 2, 4, 4}, DType::f64, gen);
  images.set_requires_grad(true);
  EXPECT_MODULE_GRADCHECK(m, [&] { return m.forward(images); }, {images});
}

// A small ViT memorises 64 MNIST training images in a few dozen full-batch steps.
TEST(VisionTransformer, OverfitsSixtyFourImages) {
  const std::string dir =
      data::find_data_set("mnist", {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"});
  const auto set = data::read_idx_images(dir + "/train-images-idx3-ubyte.gz",
                                         dir + "/train-labels-idx1-ubyte.gz", 64);
  std::vector<std::int64_t> all(64);
  std::iota(all.begin(), all.end(), 0);
  const Tensor images = data::normalised_images(set, all, 0.1307, 0.3081);
  const Tensor labels = from_vector(set.labels, {64});
  Generator gen(5);
  VisionTransformer m(
      {.image_size = 28, .patch_size = 7, .d_model = 32, .depth = 2, .num_heads = 4, .dropout = 0},
      gen);
  optim::AdamW opt(m.parameters(), {.lr = 3e-3, .weight_decay = 0});
  const auto start = std::chrono::steady_clock::now();
  double accuracy = 0;
  int step = 0;
  for (; step < 300 && accuracy < 1; ++step) {
    opt.zero_grad();
    const Tensor logits = m.forward(images);
    autograd::backward(cross_entropy(logits, labels));
    opt.step();
    const auto pred = argmax(logits, 1).to_vector<std::int64_t>();
    int right = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) right += pred[i] == set.labels[i];
    accuracy = right / 64.0;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  %.1f%% of 64 right after %d steps, %.2f s\n", 100 * accuracy, step, seconds);
  EXPECT_EQ(accuracy, 1.0) << "after " << step << " steps";
}

}  // namespace
}  // namespace qkv::models
