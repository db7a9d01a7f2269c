#pragma once
// The configuration of an image-classification run (task "classification",
// `qkv train --config FILE`): a Vision Transformer on MNIST-format IDX data.
// As translation_config.h, every field has a default and is declared once in
// the structs below.

#include <cstdint>
#include <string>
#include <vector>

#include "models/vision_transformer.h"

namespace qkv::train {

struct ClassificationData {
  std::string dataset = "mnist";  // a folder on the data search path holding the IDX files
  std::string train = "train", test = "t10k";  // file prefixes: train-images-idx3-ubyte.gz, ...
  std::int64_t train_limit = 0;                // > 0: only the first images (quick runs, tests)
  std::int64_t valid_size = 5000;      // held out from the end of the training images; 0: none
  double mean = 0.1307, std = 0.3081;  // of pixels / 255 (MNIST's; Fashion-MNIST 0.2860, 0.3530)
  std::int64_t max_shift = 2;          // augmentation: random shift, pixels
  bool hflip = false;                  // augmentation: mirror (not for digits)
  std::vector<std::string> classes;    // names for output; empty: 0 .. 9
};

struct ClassificationModel {
  std::int64_t image_size = 28, channels = 1, patch_size = 4;
  std::int64_t d_model = 64, depth = 6, num_heads = 4, num_kv_heads = 0;
  double mlp_ratio = 2.0, dropout = 0.1, attention_dropout = 0.0;
  std::int64_t num_classes = 10;
};

struct ClassificationTraining {
  std::int64_t epochs = 10;
  std::int64_t max_steps = 0;  // > 0: stop after this many steps
  std::int64_t batch_size = 128;
  std::string optimizer = "adamw";  // adam | adamw
  double lr = 1e-3;                 // peak learning rate
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.05;
  std::string schedule = "cosine";  // inverse_sqrt | cosine | constant
  std::int64_t warmup = 500;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;  // 0: no clipping
  std::uint64_t seed = 1;
  std::int64_t log_every = 50;        // steps between progress lines
  std::int64_t checkpoint_every = 0;  // steps; 0: at the end of each epoch only
  std::int64_t keep_epochs = 0;       // the weights of the last epochs, for qkv average
  std::int64_t eval_batch = 500;      // images per batch when evaluating
};

struct ClassificationConfig {
  std::string task = "classification";
  ClassificationData data;
  ClassificationModel model;
  ClassificationTraining training;
};

// Parses and checks a config; `where` names the file in errors. Unknown keys,
// wrong types and out-of-range values throw qkv::Error naming the key path.
ClassificationConfig parse_classification_config(const std::string& json_text,
                                                 const std::string& where);
ClassificationConfig load_classification_config(const std::string& path);
std::string to_json_text(const ClassificationConfig& config);

models::VisionTransformerConfig vit_config(const ClassificationConfig& config);

// The name of class k (its number when the config names none).
std::string class_name(const ClassificationConfig& config, std::int64_t k);

}  // namespace qkv::train
