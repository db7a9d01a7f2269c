// `qkv eval --model DIR [--split S]`: measures a trained run on a split of its
// data set (by default its test split). A translator translates it and prints
// BLEU as sacreBLEU computes it (13a, cased, detokenized output against the raw
// reference) and lower-cased, as most Multi30k papers report; an image
// classifier prints its accuracy and confusion matrix.

#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "cli/decoding_flags.h"
#include "core/error.h"
#include "data/data_path.h"
#include "data/parallel_text.h"
#include "decode/translator.h"
#include "io/atomic_file.h"
#include "metrics/bleu.h"
#include "train/classifier_eval.h"
#include "train/progress.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct EvalCommand {
  std::string model, split, output;  // split empty: the run's test split
  std::int64_t limit = 0, batch = 64;
  DecodingFlags decoding;
};

void run_translation(const EvalCommand& cmd) {
  const auto files = train::load_translation_model(cmd.model);
  const auto& d = files.config.data;
  const std::string split = cmd.split.empty() ? d.test : cmd.split;
  const std::string dir =
      data::find_data_set(d.dataset, {split + "." + d.source, split + "." + d.target});
  const auto text = data::read_parallel_text(dir + "/" + split + "." + d.source,
                                             dir + "/" + split + "." + d.target, cmd.limit);
  decode::TranslateOptions options;
  options.decoding = cmd.decoding.options();
  options.batch_size = cmd.batch;
  train::RateMeter timer;
  const auto hyps = decode::translate(*files.model, files.tokenizer, text.source, options);
  const double seconds = timer.elapsed();
  const metrics::BleuScore cased = metrics::corpus_bleu(hyps, {text.target});
  metrics::BleuOptions lc;
  lc.lowercase = true;
  const metrics::BleuScore lower = metrics::corpus_bleu(hyps, {text.target}, lc);
  std::printf("%s %s -> %s, %zu sentences, beam %lld, %.1f s (%.1f sentences/s)\n", split.c_str(),
              d.source.c_str(), d.target.c_str(), hyps.size(),
              static_cast<long long>(cmd.decoding.beam), seconds, double(hyps.size()) / seconds);
  std::printf("cased (sacreBLEU 13a):    %s\n", cased.to_string().c_str());
  std::printf("lowercased (13a):         %s\n", lower.to_string().c_str());
  if (!cmd.output.empty())
    write_file_atomically(cmd.output, [&](AtomicFileOutput& f) {
      for (const auto& s : hyps) f.write(s + "\n");
    });
}

void run_classification(const EvalCommand& cmd) {
  const auto files = train::load_image_classifier(cmd.model);
  const auto& c = files.config;
  const std::string split = cmd.split.empty() ? c.data.test : cmd.split;
  const data::ImageSet set = train::read_image_split(c, split, cmd.limit);
  std::vector<std::int64_t> all(static_cast<std::size_t>(set.count));
  for (std::int64_t i = 0; i < set.count; ++i) all[i] = i;
  train::RateMeter timer;
  const auto score = train::evaluate_classifier(*files.model, set, all, c);
  std::printf("%s %s, %lld images, %.1f s (%.0f images/s)\n", c.data.dataset.c_str(), split.c_str(),
              static_cast<long long>(score.count), timer.elapsed(),
              double(score.count) / timer.elapsed());
  std::printf("accuracy %.2f%%  (%lld wrong)  loss %.4f\n", 100 * score.accuracy,
              static_cast<long long>(std::llround((1 - score.accuracy) * double(score.count))),
              score.loss);
  std::printf("confusion matrix (rows: true class, columns: predicted):\n%s",
              train::confusion_table(score, c).c_str());
}

void run(const EvalCommand& cmd) {
  if (train::run_task(cmd.model) == "classification")
    run_classification(cmd);
  else
    run_translation(cmd);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "eval", "Measure a trained run on a data split: BLEU (translation) or accuracy (images)");
  auto c = std::make_shared<EvalCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--split", c->split,
                  "Split of the run's data set (default: its test split, test2016 or t10k)");
  cmd->add_option("--limit", c->limit, "Only the first sentences or images (0: all)");
  cmd->add_option("--batch", c->batch, "Sentences per batch")->capture_default_str();
  cmd->add_option("--output", c->output, "Also write the translations here");
  c->decoding.add_to(*cmd);
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
