#pragma once
// Reading an image split of a classification run's data set and measuring a
// classifier on it: loss, accuracy and the confusion matrix. Used by the
// trainer's validation and by `qkv eval`.

#include <cstdint>
#include <string>
#include <vector>

#include "data/idx_images.h"
#include "models/vision_transformer.h"
#include "train/classification_config.h"

namespace qkv::train {

// The split's IDX pair, <split>-images-idx3-ubyte.gz and
// <split>-labels-idx1-ubyte.gz, found on the data search path. Labels must lie
// in [0, num_classes); throws qkv::Error naming the file and the first bad one.
data::ImageSet read_image_split(const ClassificationConfig& config, const std::string& split,
                                std::int64_t limit = 0);

struct ClassifierScore {
  double loss = 0;      // mean cross-entropy (no smoothing)
  double accuracy = 0;  // fraction right
  std::int64_t count = 0;
  // confusion[true * classes + predicted]
  std::vector<std::int64_t> confusion;
};

// Runs the model in eval mode, without gradients, on the images at `indices`
// in batches of config.training.eval_batch; restores the model's mode after.
ClassifierScore evaluate_classifier(models::VisionTransformer& model, const data::ImageSet& set,
                                    const std::vector<std::int64_t>& indices,
                                    const ClassificationConfig& config);

// The confusion matrix as a table, true classes down, predictions across.
std::string confusion_table(const ClassifierScore& score, const ClassificationConfig& config);

}  // namespace qkv::train
