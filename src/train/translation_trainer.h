#pragma once
// Training an encoder-decoder Transformer to translate (SPEC section 5):
// teacher forcing with label-smoothed cross-entropy over the target tokens,
// Adam or AdamW with a warm-up schedule, gradient clipping and dropout; each
// epoch the validation loss and greedy-decoding BLEU; checkpoints written
// atomically, the best epoch's weights kept apart; and a resume that continues
// exactly where an interrupted run stopped (same losses, same thread count).

#include <cstdint>
#include <string>
#include <vector>

#include "train/train_options.h"
#include "train/translation_config.h"

namespace qkv::train {

struct EpochResult {
  std::int64_t epoch = 0, step = 0;
  double train_loss = 0, valid_loss = 0;
  double valid_bleu = -1, valid_bleu_lowercase = -1;  // -1 when not computed
};

struct TrainResult {
  std::vector<EpochResult> epochs;
  std::vector<double> step_losses;  // every optimizer step's loss, in order (this process)
  std::int64_t steps = 0;           // optimizer steps taken in total
  std::vector<std::string> files;
};

// A resumed run reuses the run directory's tokenizer.
TrainResult train_translation(const TranslationConfig& config, const TrainOptions& options);

}  // namespace qkv::train
