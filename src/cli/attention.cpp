// `qkv attention --model DIR --text "..."`: translates one sentence with a
// trained run and draws where the model looked (cli/translation_attention.h).

#include <cstdio>

#include "cli/commands.h"
#include "cli/decoding_flags.h"
#include "cli/translation_attention.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct AttentionCommand {
  std::string model, text, out = "out/attention";
  DecodingFlags decoding;
};

void run(const AttentionCommand& cmd) {
  const auto files = train::load_translation_model(cmd.model);
  const auto drawn = draw_translation_attention(*files.model, files.tokenizer, cmd.text,
                                                cmd.decoding.options(), cmd.out);
  std::printf("source:      %s\ntranslation: %s\n", cmd.text.c_str(), drawn.translation.c_str());
  for (const auto& f : drawn.files) std::printf("wrote %s\n", f.c_str());
}

}  // namespace

void add_attention_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "attention", "Translate one sentence and draw the model's attention weights as heat maps");
  auto c = std::make_shared<AttentionCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--text", c->text, "The source sentence")->required();
  cmd->add_option("--out", c->out, "Directory for the images")->capture_default_str();
  c->decoding.add_to(*cmd);
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
