// `qkv train --config FILE`: trains the model the config's task names:
// "translation" (train/translation_trainer.h) or "classification"
// (train/classification_trainer.h).

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "train/classification_trainer.h"
#include "train/config_checks.h"
#include "train/translation_trainer.h"

namespace qkv::cli {

namespace {

struct TrainCommand {
  std::string config;
  std::string out;
  bool resume = false;
};

void print_line(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void run(const TrainCommand& cmd) {
  const std::string task = train::config_task(cmd.config);
  train::TrainOptions options;
  options.out = cmd.out;
  options.resume = cmd.resume;
  options.print = print_line;
  std::int64_t steps = 0;
  std::vector<std::string> files;
  if (task == "translation") {
    const auto result =
        train::train_translation(train::load_translation_config(cmd.config), options);
    steps = result.steps;
    files = result.files;
  } else if (task == "classification") {
    const auto result =
        train::train_image_classifier(train::load_classification_config(cmd.config), options);
    steps = result.steps;
    files = result.files;
  } else {
    fail(cmd.config, ": unknown task '", task, "'; known: translation, classification");
  }
  std::printf("trained %lld steps; files:\n", static_cast<long long>(steps));
  for (const auto& f : files) std::printf("  %s\n", f.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train", "Train a model from a JSON config (task: translation or classification)");
  auto c = std::make_shared<TrainCommand>();
  cmd->add_option("--config", c->config, "Config file (see configs/)")->required();
  cmd->add_option("--out", c->out, "Run directory for checkpoints, tokenizer and metrics")
      ->required();
  cmd->add_flag("--resume", c->resume, "Continue the run in --out from its last checkpoint");
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
