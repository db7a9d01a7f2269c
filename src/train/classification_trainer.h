#pragma once
// Training a Vision Transformer to classify images (SPEC section 9): shuffled
// batches of augmented images, label-smoothed cross-entropy, AdamW with warm-up
// and cosine decay, gradient clipping; each epoch the held-out validation loss
// and accuracy; checkpoints written atomically, the best epoch's weights kept
// apart; --resume continues exactly (same losses, same thread count); loss and
// accuracy curves as PNG.

#include <cstdint>
#include <string>
#include <vector>

#include "train/classification_config.h"
#include "train/train_options.h"

namespace qkv::train {

struct ClassificationEpoch {
  std::int64_t epoch = 0, step = 0;
  double train_loss = 0, train_accuracy = 0;    // over the epoch's augmented batches
  double valid_loss = -1, valid_accuracy = -1;  // -1 without a validation set
};

struct ClassificationResult {
  std::vector<ClassificationEpoch> epochs;
  std::vector<double> step_losses;  // every optimizer step's loss, in order (this process)
  std::int64_t steps = 0;           // optimizer steps taken in total
  std::vector<std::string> files;
};

ClassificationResult train_image_classifier(const ClassificationConfig& config,
                                            const TrainOptions& options);

}  // namespace qkv::train
