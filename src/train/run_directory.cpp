#include "train/run_directory.h"

#include "io/checkpoint.h"
#include "train/config_checks.h"

namespace qkv::train {

RunPaths::RunPaths(const std::filesystem::path& d)
    : dir(d),
      config(d / "config.json"),
      tokenizer(d / "tokenizer.json"),
      model(d / "model.safetensors"),
      checkpoint(d / "last.safetensors"),
      metrics(d / "metrics.jsonl"),
      loss_plot(d / "loss.png"),
      accuracy_plot(d / "accuracy.png") {}

namespace {

void check_run_files(const std::filesystem::path& dir,
                     std::initializer_list<std::filesystem::path> files) {
  check(std::filesystem::is_directory(dir), "model directory '", dir.string(), "' does not exist");
  for (const auto& p : files)
    check(std::filesystem::is_regular_file(p), "model directory '", dir.string(), "' has no ",
          p.filename().string(), " (train one with qkv train --config FILE)");
}

}  // namespace

std::optional<SafetensorsFile> open_run_directory(const RunPaths& paths, bool resume) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(paths.dir, ec);
  check(!ec && fs::is_directory(paths.dir), "train: cannot create run directory '",
        paths.dir.string(), "'");
  if (!resume) {
    check(!fs::exists(paths.checkpoint), "train: ", paths.dir.string(), " already holds a run (",
          paths.checkpoint.filename().string(),
          "); pass --resume to continue it or choose another directory");
    return std::nullopt;
  }
  check(fs::is_regular_file(paths.checkpoint), "--resume: ", paths.checkpoint.string(),
        " does not exist (nothing to resume)");
  return load_checkpoint(paths.checkpoint);
}

void check_resumed_config(bool same, const RunPaths& paths) {
  check(same, "--resume: ", paths.checkpoint.string(),
        " was written with another config (only training.epochs and training.max_steps may "
        "change); start a new run directory or restore its config");
}

std::string run_task(const std::filesystem::path& dir) {
  const RunPaths paths(dir);
  check_run_files(dir, {paths.config});
  return config_task(paths.config.string());
}

ImageClassifierFiles load_image_classifier(const std::filesystem::path& dir) {
  const RunPaths paths(dir);
  check_run_files(dir, {paths.config, paths.model});
  ImageClassifierFiles out{load_classification_config(paths.config.string()), nullptr};
  const SafetensorsFile weights = load_checkpoint(paths.model);
  out.model = std::make_unique<models::VisionTransformer>(vit_config(out.config));
  const auto report = out.model->load_state_dict(weights.tensors, false);
  check(report.ok(), paths.model.string(), " does not fit config.json: ", report.to_string());
  out.model->eval();
  return out;
}

TranslationModelFiles load_translation_model(const std::filesystem::path& dir) {
  const RunPaths paths(dir);
  check_run_files(dir, {paths.config, paths.tokenizer, paths.model});
  TranslationModelFiles out{load_translation_config(paths.config.string()),
                            data::BpeTokenizer::load(paths.tokenizer), nullptr};
  const SafetensorsFile weights = load_checkpoint(paths.model);
  out.model = std::make_unique<models::Seq2SeqTransformer>(
      seq2seq_config(out.config, static_cast<std::int64_t>(out.tokenizer.vocab_size())));
  const auto report = out.model->load_state_dict(weights.tensors, false);
  check(report.ok(), paths.model.string(), " does not fit config.json: ", report.to_string());
  out.model->eval();
  return out;
}

}  // namespace qkv::train
