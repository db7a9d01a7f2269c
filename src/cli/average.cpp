// `qkv average --model DIR --last N --out DIR2`: averages the weights of the
// last N epochs that a run kept (training.keep_epochs) into a new run
// directory, which translate, eval, attention and classify read like any other.

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "train/checkpoint_average.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct AverageCommand {
  std::string model, out;
  std::int64_t last = 5;
};

std::string epoch_of(const std::filesystem::path& file) {
  const std::string stem = file.stem().string();  // epoch-K
  return stem.substr(stem.find('-') + 1);
}

void run(const AverageCommand& cmd) {
  namespace fs = std::filesystem;
  check(cmd.last >= 1, "average: --last must be at least 1, got ", cmd.last);
  const train::RunPaths from(cmd.model), to(cmd.out);
  train::run_task(from.dir);  // a run directory, with its config
  std::error_code ec;
  check(!fs::equivalent(from.dir, to.dir, ec), "average: --out must not be the --model directory");
  check(!fs::exists(to.model), "average: ", to.model.string(),
        " already exists; choose another --out");
  const auto kept = train::kept_epoch_models(from);
  check(static_cast<std::int64_t>(kept.size()) >= cmd.last, "average: ", from.dir.string(),
        " holds ", kept.size(), " epoch checkpoints (epoch-K.safetensors), fewer than --last ",
        cmd.last, "; train with training.keep_epochs >= ", cmd.last);
  const std::vector<fs::path> files(kept.end() - cmd.last, kept.end());
  const auto averaged = train::average_checkpoints(files);
  const std::string epochs = epoch_of(files.front()) + "-" + epoch_of(files.back());

  fs::create_directories(to.dir, ec);
  check(!ec && fs::is_directory(to.dir), "average: cannot create '", to.dir.string(), "'");
  fs::copy_file(from.config, to.config, fs::copy_options::overwrite_existing, ec);
  check(!ec, "average: cannot copy ", from.config.string(), " to ", to.dir.string(), ": ",
        ec.message());
  if (fs::exists(from.tokenizer)) {
    fs::copy_file(from.tokenizer, to.tokenizer, fs::copy_options::overwrite_existing, ec);
    check(!ec, "average: cannot copy ", from.tokenizer.string(), " to ", to.dir.string(), ": ",
          ec.message());
  }
  save_checkpoint(to.model, averaged, {{"averaged_epochs", epochs}});
  std::printf("averaged %zu checkpoints (epochs %s) of %s\n", files.size(), epochs.c_str(),
              from.dir.string().c_str());
  std::printf("wrote %s\n", to.model.string().c_str());
}

}  // namespace

void add_average_command(CLI::App& app) {
  auto c = std::make_shared<AverageCommand>();
  auto* cmd = app.add_subcommand(
      "average", "Average the weights of a run's last epochs into a new run directory");
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("--last", c->last, "How many of the last kept epochs")->capture_default_str();
  cmd->add_option("--out", c->out, "Directory for the averaged model")->required();
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
