#pragma once
// The configuration of a translation training run, read from JSON
// (`qkv train --config FILE`). Every field has a default; each is declared
// once, in the structs below, and the JSON reading, writing and the check for
// unknown keys are all driven from that one list.

#include <cstdint>
#include <string>

#include "models/seq2seq.h"

namespace qkv::train {

struct TranslationData {
  std::string dataset = "multi30k";  // a folder on the data search path
  std::string source = "de";         // file suffixes: train.de, val.de, ...
  std::string target = "en";
  std::string train = "train", valid = "val", test = "test2016";
  std::int64_t train_limit = 0;  // > 0: only the first pairs (quick runs, tests)
  std::int64_t valid_limit = 0;
  std::int64_t vocab_size = 8000;  // joint byte-level BPE over both sides
};

struct TranslationModel {
  std::int64_t d_model = 256, num_heads = 8, num_kv_heads = 0;
  std::int64_t encoder_layers = 3, decoder_layers = 3, d_ff = 512;
  double dropout = 0.1, attention_dropout = 0.1;
  std::string activation = "relu";       // relu | gelu
  bool norm_first = false;               // pre-norm
  std::string positions = "sinusoidal";  // sinusoidal | learned
  bool shared_embeddings = true, tie_output = true;
  std::int64_t max_len = 256;
};

struct TranslationTraining {
  std::int64_t epochs = 10;
  std::int64_t max_steps = 0;  // > 0: stop after this many steps
  std::int64_t max_tokens = 4096;
  std::string optimizer = "adam";  // adam | adamw
  double lr = 1e-3;                // peak learning rate
  double beta1 = 0.9, beta2 = 0.98, eps = 1e-9, weight_decay = 0;
  std::string schedule = "inverse_sqrt";  // inverse_sqrt | cosine | constant
  std::int64_t warmup = 4000;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;  // 0: no clipping
  std::uint64_t seed = 1;
  std::int64_t log_every = 50;        // steps between progress lines
  std::int64_t checkpoint_every = 0;  // steps; 0: at the end of each epoch only
  std::int64_t keep_epochs = 0;       // the weights of the last epochs, for qkv average
  bool valid_bleu = true;             // greedy-decode the validation set each epoch
  std::int64_t valid_batch = 128;     // sentences per decoding batch
};

struct TranslationConfig {
  std::string task = "translation";
  TranslationData data;
  TranslationModel model;
  TranslationTraining training;
};

// Parses and checks a config; `where` names the file in errors. Unknown keys,
// wrong types and out-of-range values throw qkv::Error naming the key path
// (training.lr, model.activation, ...).
TranslationConfig parse_translation_config(const std::string& json_text, const std::string& where);
TranslationConfig load_translation_config(const std::string& path);
// The config as JSON, every field written (what a run directory keeps).
std::string to_json_text(const TranslationConfig& config);

// The model the config describes, for a vocabulary of this size.
models::Seq2SeqConfig seq2seq_config(const TranslationConfig& config, std::int64_t vocab_size);

}  // namespace qkv::train
