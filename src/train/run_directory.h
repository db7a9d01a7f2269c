#pragma once
// The directory a training run writes and the inference commands read
// (`qkv translate --model DIR`, `qkv eval`, `qkv attention`, `qkv classify`):
//   config.json        the run's resolved configuration (its "task" says which)
//   tokenizer.json     translation: the joint BPE vocabulary
//   model.safetensors  the weights of the best epoch (checksummed)
//   last.safetensors   the latest checkpoint: weights, optimizer state, step,
//                      data position and random-number state, for --resume
//   epoch-K.safetensors  the weights at the end of epoch K, for the last
//                      training.keep_epochs epochs (qkv average reads them)
//   metrics.jsonl      one JSON object per progress line and per epoch
//   loss.png           the loss curves
//   accuracy.png       classification: the accuracy curves

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/bpe.h"
#include "io/safetensors.h"
#include "models/seq2seq.h"
#include "models/vision_transformer.h"
#include "train/classification_config.h"
#include "train/translation_config.h"

namespace qkv::train {

struct RunPaths {
  std::filesystem::path dir, config, tokenizer, model, checkpoint, metrics, loss_plot,
      accuracy_plot;
  explicit RunPaths(const std::filesystem::path& dir);
  std::filesystem::path epoch_model(std::int64_t epoch) const;
};

// Writes the weights at the end of `epoch` to epoch-K.safetensors and removes
// the file of epoch - keep, so the run holds its last `keep` epochs (none for
// keep = 0).
void keep_epoch_model(const RunPaths& paths, const std::map<std::string, Tensor>& weights,
                      std::int64_t epoch, std::int64_t keep, const std::string& config_json);

// The epoch-K.safetensors files in the run directory, oldest epoch first.
std::vector<std::filesystem::path> kept_epoch_models(const RunPaths& paths);

// Creates the run directory of a training run. A resumed run's checkpoint is
// read here, first, so a missing or damaged one is reported before any other
// work; a new run refuses a directory that already holds one.
std::optional<SafetensorsFile> open_run_directory(const RunPaths& paths, bool resume);

// Throws unless a resumed run's config equals the one its checkpoint was
// written with, but for the length of training.
void check_resumed_config(bool same, const RunPaths& paths);

// A trained translator, ready for inference (eval mode).
struct TranslationModelFiles {
  TranslationConfig config;
  data::BpeTokenizer tokenizer;
  std::unique_ptr<models::Seq2SeqTransformer> model;
};

// Loads config, tokenizer and model.safetensors from a run directory; throws
// qkv::Error naming the file that is missing or damaged.
TranslationModelFiles load_translation_model(const std::filesystem::path& dir);

// A trained image classifier (eval mode).
struct ImageClassifierFiles {
  ClassificationConfig config;
  std::unique_ptr<models::VisionTransformer> model;
};

ImageClassifierFiles load_image_classifier(const std::filesystem::path& dir);

// The task of the run in `dir` ("translation" or "classification").
std::string run_task(const std::filesystem::path& dir);

}  // namespace qkv::train
