#include "cli/translation_demo.h"

#include <cstdio>
#include <filesystem>

#include "cli/translation_attention.h"
#include "core/error.h"
#include "data/data_path.h"
#include "data/parallel_text.h"
#include "decode/translator.h"
#include "metrics/bleu.h"
#include "train/run_directory.h"
#include "train/translation_trainer.h"

namespace qkv::cli {

train::TranslationConfig translation_demo_config(std::int64_t epochs) {
  check(epochs > 0, "translation demo: epochs must be positive, got ", epochs);
  train::TranslationConfig c;
  c.data.valid_limit = 200;
  auto& t = c.training;
  t.epochs = epochs;
  t.max_tokens = 6144;
  t.schedule = "cosine";
  t.lr = 1e-3;
  t.warmup = 150;
  t.log_every = 25;
  return c;
}

TranslationDemoResult run_translation_demo(const TranslationDemoOptions& options) {
  namespace fs = std::filesystem;
  check(options.sentences > 0, "translation demo: sentences must be positive");
  const train::TranslationConfig config = options.config.empty()
                                              ? translation_demo_config(options.epochs)
                                              : train::load_translation_config(options.config);
  const fs::path run_dir = fs::path(options.out) / "translation-run";
  std::error_code ec;
  fs::remove_all(run_dir, ec);  // the demo's own earlier run
  check(!ec, "translation demo: cannot replace ", run_dir.string(), ": ", ec.message());
  fs::create_directories(options.out, ec);
  check(!ec, "translation demo: cannot create ", options.out, ": ", ec.message());

  train::TrainOptions to;
  to.out = run_dir;
  to.print = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  TranslationDemoResult result;
  result.files = train::train_translation(config, to).files;

  const auto run = train::load_translation_model(run_dir);
  const auto& d = config.data;
  const std::string dir =
      data::find_data_set(d.dataset, {d.test + "." + d.source, d.test + "." + d.target});
  const auto test = data::read_parallel_text(
      dir + "/" + d.test + "." + d.source, dir + "/" + d.test + "." + d.target, options.sentences);
  const auto hyps = decode::translate(*run.model, run.tokenizer, test.source);
  std::printf("\n%zu sentences of %s, greedy search:\n", hyps.size(), d.test.c_str());
  for (std::size_t i = 0; i < hyps.size(); ++i)
    std::printf("  %s:  %s\n  qkv: %s\n  ref: %s\n\n", d.source.c_str(), test.source[i].c_str(),
                hyps[i].c_str(), test.target[i].c_str());
  const auto cased = metrics::corpus_bleu(hyps, {test.target});
  metrics::BleuOptions lc;
  lc.lowercase = true;
  const auto lower = metrics::corpus_bleu(hyps, {test.target}, lc);
  result.bleu = cased.score;
  result.bleu_lowercase = lower.score;
  std::printf("BLEU of these %zu, cased:      %s\n", hyps.size(), cased.to_string().c_str());
  std::printf("BLEU of these %zu, lowercased: %s\n", hyps.size(), lower.to_string().c_str());

  const auto drawn =
      draw_translation_attention(*run.model, run.tokenizer, test.source[0], {}, options.out);
  std::printf("cross-attention of the first sentence: %s\n", drawn.average.c_str());
  for (const auto& f : drawn.files) result.files.push_back(f);
  std::printf(
      "\nThe full training (about 30 epochs; see README.md for its time and BLEU here):\n"
      "  ./build/qkv train --config configs/multi30k_de_en.json --out runs/de-en\n"
      "  ./build/qkv eval --model runs/de-en --split test2016 --beam 5\n");
  return result;
}

}  // namespace qkv::cli
