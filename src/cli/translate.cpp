// `qkv translate --model DIR`: sentences from stdin (or --input), one per line,
// translations to stdout (or --output, written atomically), in input order.

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/decoding_flags.h"
#include "core/error.h"
#include "decode/translator.h"
#include "io/atomic_file.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct TranslateCommand {
  std::string model, input, output;
  DecodingFlags decoding;
  std::int64_t batch = 64;
};

std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void run(const TranslateCommand& cmd) {
  const auto files = train::load_translation_model(cmd.model);
  std::vector<std::string> lines;
  if (cmd.input.empty() || cmd.input == "-") {
    lines = read_lines(std::cin);
  } else {
    std::ifstream in(cmd.input);
    check(in.good(), "translate: cannot open '", cmd.input, "'");
    lines = read_lines(in);
  }
  decode::TranslateOptions options;
  options.decoding = cmd.decoding.options();
  options.batch_size = cmd.batch;
  const auto out = decode::translate(*files.model, files.tokenizer, lines, options);
  if (cmd.output.empty() || cmd.output == "-") {
    for (const auto& s : out) std::printf("%s\n", s.c_str());
  } else {
    write_file_atomically(cmd.output, [&](AtomicFileOutput& f) {
      for (const auto& s : out) f.write(s + "\n");
    });
  }
}

}  // namespace

void add_translate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("translate", "Translate sentences with a trained model");
  auto c = std::make_shared<TranslateCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--input", c->input, "One sentence per line (default: stdin)");
  cmd->add_option("--output", c->output, "Translations, one per line (default: stdout)");
  cmd->add_option("--batch", c->batch, "Sentences per batch")->capture_default_str();
  c->decoding.add_to(*cmd);
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
