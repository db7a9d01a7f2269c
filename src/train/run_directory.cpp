#include "train/run_directory.h"

#include <algorithm>

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

std::filesystem::path RunPaths::epoch_model(std::int64_t epoch) const {
  return dir / ("epoch-" + std::to_string(epoch) + ".safetensors");
}

void keep_epoch_model(const RunPaths& paths, const std::map<std::string, Tensor>& weights,
                      std::int64_t epoch, std::int64_t keep, const std::string& config_json) {
  if (keep <= 0) return;
  save_checkpoint(paths.epoch_model(epoch), weights,
                  {{"epoch", std::to_string(epoch)}, {"config", config_json}});
  std::error_code ec;
  std::filesystem::remove(paths.epoch_model(epoch - keep), ec);
}

std::vector<std::filesystem::path> kept_epoch_models(const RunPaths& paths) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(paths.dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = "epoch-", suffix = ".safetensors";
    if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
        !name.ends_with(suffix))
      continue;
    const std::string digits =
        name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(digits), entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::filesystem::path> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

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
