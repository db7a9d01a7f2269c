// `qkv train --config FILE`: trains the model the config's task names. Today
// that is "translation" (train/translation_trainer.h).

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "core/error.h"
#include "train/translation_trainer.h"

namespace qkv::cli {

namespace {

struct TrainCommand {
  std::string config;
  std::string out;
  bool resume = false;
};

std::string task_of(const std::string& path) {
  std::ifstream in(path);
  check(in.good(), "cannot open config '", path, "'");
  std::stringstream s;
  s << in.rdbuf();
  const auto j = nlohmann::json::parse(s.str(), nullptr, false);
  check(!j.is_discarded() && j.is_object(), path, ": not a JSON object");
  return j.value("task", std::string("translation"));
}

void run(const TrainCommand& cmd) {
  const std::string task = task_of(cmd.config);
  check(task == "translation", cmd.config, ": unknown task '", task, "'; known: translation");
  const train::TranslationConfig config = train::load_translation_config(cmd.config);
  train::TrainOptions options;
  options.out = cmd.out;
  options.resume = cmd.resume;
  options.print = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  const auto result = train::train_translation(config, options);
  std::printf("trained %lld steps; files:\n", static_cast<long long>(result.steps));
  for (const auto& f : result.files) std::printf("  %s\n", f.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model from a JSON config (task: translation)");
  auto c = std::make_shared<TrainCommand>();
  cmd->add_option("--config", c->config, "Config file (see configs/)")->required();
  cmd->add_option("--out", c->out, "Run directory for checkpoints, tokenizer and metrics")
      ->required();
  cmd->add_flag("--resume", c->resume, "Continue the run in --out from its last checkpoint");
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
