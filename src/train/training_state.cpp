#include "train/training_state.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "core/error.h"
#include "io/checkpoint.h"
#include "optim/adam.h"

namespace qkv::train {

void save_training_state(const std::filesystem::path& path, const nn::Module& model,
                         const optim::Optimizer& opt, const Generator& gen,
                         const TrainingPosition& pos, const std::string& config_json) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, t] : model.state_dict()) tensors["model." + name] = t;
  for (const auto& [name, t] : opt.state_dict()) tensors["optim." + name] = t;
  std::ostringstream best;
  best.precision(17);
  best << pos.best;
  save_checkpoint(path, tensors,
                  {{"step", std::to_string(pos.step)},
                   {"epoch", std::to_string(pos.epoch)},
                   {"batch", std::to_string(pos.batch)},
                   {"best", best.str()},
                   {"rng.seed", std::to_string(gen.seed())},
                   {"rng.offset", std::to_string(gen.offset())},
                   {"config", config_json}});
}

namespace {

std::string meta(const SafetensorsFile& f, const std::filesystem::path& path,
                 const std::string& key) {
  const auto it = f.metadata.find(key);
  check(it != f.metadata.end(), path.string(), ": checkpoint lacks '", key, "'");
  return it->second;
}

}  // namespace

std::string saved_config(const SafetensorsFile& f, const std::filesystem::path& path) {
  return meta(f, path, "config");
}

TrainingPosition load_training_state(const SafetensorsFile& f, const std::filesystem::path& path,
                                     nn::Module& model, optim::Optimizer& opt, Generator& gen) {
  nn::StateDict weights;
  std::map<std::string, Tensor> state;
  for (const auto& [name, t] : f.tensors) {
    if (name.rfind("model.", 0) == 0) weights[name.substr(6)] = t;
    if (name.rfind("optim.", 0) == 0) state[name.substr(6)] = t;
  }
  model.load_state_dict(weights);
  opt.load_state_dict(state);
  TrainingPosition pos;
  pos.step = std::stoll(meta(f, path, "step"));
  pos.epoch = std::stoll(meta(f, path, "epoch"));
  pos.batch = std::stoll(meta(f, path, "batch"));
  pos.best = std::stod(meta(f, path, "best"));
  gen.set_state(std::stoull(meta(f, path, "rng.seed")), std::stoull(meta(f, path, "rng.offset")));
  return pos;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimizerSettings& s,
                                                 std::vector<Tensor> params) {
  if (s.optimizer == "adamw")
    return std::make_unique<optim::AdamW>(
        std::move(params), optim::AdamWOptions{s.lr, s.beta1, s.beta2, s.eps, s.weight_decay});
  check(s.optimizer == "adam", "unknown optimizer '", s.optimizer, "'; known: adam, adamw");
  return std::make_unique<optim::Adam>(
      std::move(params), optim::AdamOptions{s.lr, s.beta1, s.beta2, s.eps, s.weight_decay});
}

std::unique_ptr<optim::LrSchedule> make_schedule(const OptimizerSettings& s, std::int64_t total) {
  if (s.schedule == "constant") return std::make_unique<optim::Constant>(s.lr);
  if (s.schedule == "cosine")
    return std::make_unique<optim::WarmupCosine>(s.lr, s.warmup, std::max(total, s.warmup + 1));
  check(s.schedule == "inverse_sqrt", "unknown schedule '", s.schedule,
        "'; known: inverse_sqrt, cosine, constant");
  // The paper's d^-0.5 min(step^-0.5, step warmup^-1.5), scaled to peak at lr.
  const std::int64_t warmup = std::max<std::int64_t>(s.warmup, 1);
  const double factor = s.lr * std::sqrt(double(s.d_model) * double(warmup));
  return std::make_unique<optim::InverseSqrtWarmup>(s.d_model, warmup, factor);
}

}  // namespace qkv::train
