// `qkv eval --model DIR --split test2016`: translates a split of the run's data
// set and prints BLEU as sacreBLEU computes it (13a, cased, detokenized output
// against the raw reference) and lower-cased, as most Multi30k papers report.

#include <cstdio>

#include "cli/commands.h"
#include "cli/decoding_flags.h"
#include "core/error.h"
#include "data/data_path.h"
#include "data/parallel_text.h"
#include "decode/translator.h"
#include "io/atomic_file.h"
#include "metrics/bleu.h"
#include "train/progress.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct EvalCommand {
  std::string model, split = "test2016", output;
  std::int64_t limit = 0, batch = 64;
  DecodingFlags decoding;
};

void run(const EvalCommand& cmd) {
  const auto files = train::load_translation_model(cmd.model);
  const auto& d = files.config.data;
  const std::string dir =
      data::find_data_set(d.dataset, {cmd.split + "." + d.source, cmd.split + "." + d.target});
  const auto text = data::read_parallel_text(dir + "/" + cmd.split + "." + d.source,
                                             dir + "/" + cmd.split + "." + d.target, cmd.limit);
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
  std::printf("%s %s -> %s, %zu sentences, beam %lld, %.1f s (%.1f sentences/s)\n",
              cmd.split.c_str(), d.source.c_str(), d.target.c_str(), hyps.size(),
              static_cast<long long>(cmd.decoding.beam), seconds, double(hyps.size()) / seconds);
  std::printf("cased (sacreBLEU 13a):    %s\n", cased.to_string().c_str());
  std::printf("lowercased (13a):         %s\n", lower.to_string().c_str());
  if (!cmd.output.empty())
    write_file_atomically(cmd.output, [&](AtomicFileOutput& f) {
      for (const auto& s : hyps) f.write(s + "\n");
    });
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Translate a data split and print its BLEU");
  auto c = std::make_shared<EvalCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--split", c->split, "Split of the run's data set")->capture_default_str();
  cmd->add_option("--limit", c->limit, "Only the first sentences (0: all)");
  cmd->add_option("--batch", c->batch, "Sentences per batch")->capture_default_str();
  cmd->add_option("--output", c->output, "Also write the translations here");
  c->decoding.add_to(*cmd);
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
