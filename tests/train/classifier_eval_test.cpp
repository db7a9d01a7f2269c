#include "train/classifier_eval.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace qkv::train {
namespace {

ClassificationConfig three_classes() {
  ClassificationConfig c;
  c.model = {.image_size = 4,
             .patch_size = 2,
             .d_model = 4,
             .depth = 1,
             .num_heads = 2,
             .dropout = 0,
             .num_classes = 3};
  c.data.classes = {"cat", "dog", "fish"};
  c.training.eval_batch = 2;
  return c;
}

data::ImageSet images(std::int64_t n) {
  data::ImageSet s;
  s.count = n;
  s.rows = s.cols = 4;
  for (std::int64_t i = 0; i < n * 16; ++i) s.pixels.push_back(std::uint8_t(i * 7));
  for (std::int64_t i = 0; i < n; ++i) s.labels.push_back(i % 3);
  return s;
}

// Counts add up across batches of any size, and accuracy is the diagonal's share.
TEST(ClassifierEval, ConfusionMatrixAndAccuracyAgree) {
  const auto c = three_classes();
  models::VisionTransformer model(vit_config(c));
  model.train();
  const auto set = images(7);
  const auto s = evaluate_classifier(model, set, {0, 1, 2, 3, 4, 5, 6}, c);
  EXPECT_TRUE(model.is_training());  // the mode is restored
  EXPECT_EQ(s.count, 7);
  std::int64_t total = 0, diagonal = 0;
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 3; ++j) {
      total += s.confusion[i * 3 + j];
      if (i == j) diagonal += s.confusion[i * 3 + j];
    }
  EXPECT_EQ(total, 7);
  EXPECT_DOUBLE_EQ(s.accuracy, double(diagonal) / 7);
  EXPECT_GT(s.loss, 0);
  EXPECT_THROW(evaluate_classifier(model, set, {}, c), Error);
}

TEST(ClassifierEval, TableNamesTheClasses) {
  ClassifierScore s;
  s.confusion = {5, 1, 0, 0, 6, 0, 2, 0, 9};
  EXPECT_EQ(confusion_table(s, three_classes()),
            " true \\ predicted   cat   dog  fish\n"
            "              cat     5     1     0\n"
            "              dog     0     6     0\n"
            "             fish     2     0     9\n");
}

}  // namespace
}  // namespace qkv::train
