#pragma once
// What every trainer keeps between steps and writes to last.safetensors so
// that --resume continues exactly: the model's weights, the optimizer's state,
// the random-number generator's counter, the place in the data, the best
// validation score, and the config the run was started with. Also the
// optimizer and learning-rate schedule a config names.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "io/safetensors.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"

namespace qkv::train {

struct TrainingPosition {
  std::int64_t step = 0;   // optimizer steps taken
  std::int64_t epoch = 0;  // the epoch under way (0-based)
  std::int64_t batch = 0;  // its next batch
  double best = -1e300;    // best validation score so far
};

// Written atomically and checksummed (io/checkpoint.h).
void save_training_state(const std::filesystem::path& path, const nn::Module& model,
                         const optim::Optimizer& opt, const Generator& gen,
                         const TrainingPosition& pos, const std::string& config_json);

// The config a checkpoint read from `path` was written with; compare it with
// the run's before load_training_state.
std::string saved_config(const SafetensorsFile& f, const std::filesystem::path& path);

// Restores model, optimizer and generator from the checkpoint and returns the
// position. Throws qkv::Error naming `path` for missing entries or tensors
// that do not fit.
TrainingPosition load_training_state(const SafetensorsFile& f, const std::filesystem::path& path,
                                     nn::Module& model, optim::Optimizer& opt, Generator& gen);

struct OptimizerSettings {
  std::string optimizer = "adam";  // adam | adamw
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  std::string schedule = "cosine";  // inverse_sqrt | cosine | constant
  std::int64_t warmup = 0;
  std::int64_t d_model = 0;  // inverse_sqrt's d^-0.5 (scaled away: the peak is lr)
};

// The settings of a run config's training section (any task's).
template <class Config>
OptimizerSettings optimizer_settings(const Config& c) {
  const auto& t = c.training;
  return {t.optimizer,    t.lr,       t.beta1,  t.beta2,        t.eps,
          t.weight_decay, t.schedule, t.warmup, c.model.d_model};
}

// The part of a config a resumed run must share with the run it continues:
// all of it but the length of training, which --resume may extend.
template <class Config>
std::string resume_key(Config c) {
  c.training.epochs = 0;
  c.training.max_steps = 0;
  return to_json_text(c);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerSettings& s,
                                                 std::vector<Tensor> params);
// The schedule over `total` steps; every one peaks at s.lr.
std::unique_ptr<optim::LrSchedule> make_schedule(const OptimizerSettings& s, std::int64_t total);

}  // namespace qkv::train
