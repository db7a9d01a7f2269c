#pragma once
// The translation job of `qkv demo` (SPEC sections 5 and 7): a small
// German->English Transformer trained on Multi30k for a few minutes with the
// same trainer as `qkv train`, then five test2016 sentences translated with
// greedy search and the KV cache, their BLEU, and one attention map.

#include <cstdint>
#include <string>
#include <vector>

#include "train/translation_config.h"

namespace qkv::cli {

struct TranslationDemoOptions {
  std::string out = "out/translation-demo";  // the run directory goes to out/translation-run
  std::int64_t epochs = 2;
  std::string config;          // a `qkv train` config file to use instead (quick tests)
  std::int64_t sentences = 5;  // from the start of test2016
};

struct TranslationDemoResult {
  double bleu = 0, bleu_lowercase = 0;  // over the translated sentences
  std::vector<std::string> files;
};

// The demo's training config: the model of configs/multi30k_de_en.json with a
// schedule fitted to `epochs`, validating on the first 200 pairs only.
train::TranslationConfig translation_demo_config(std::int64_t epochs);

// Trains into out/translation-run (replacing an earlier demo run there),
// prints each source, translation and reference, their BLEU, and how to run
// the full training; writes the attention maps of the first sentence.
TranslationDemoResult run_translation_demo(const TranslationDemoOptions& options);

}  // namespace qkv::cli
