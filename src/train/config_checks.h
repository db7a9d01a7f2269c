#pragma once
// What every run config (`qkv train --config FILE`) shares: its JSON read from
// a file, keys checked against the defaults (which list every field), and
// values out of range reported by their key path.

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace qkv::train {

// The file's text; throws qkv::Error naming it when it cannot be read.
std::string read_config_file(const std::string& path);

// Parses `text` as a JSON object and checks that every key of it, at any
// depth, is a key of `known`; throws qkv::Error naming `where` and the key path.
nlohmann::json parse_config_object(const std::string& text, const nlohmann::json& known,
                                   const std::string& where);

// Converts with nlohmann's from_json, reporting type errors as qkv::Error.
template <class Config>
Config config_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    return j.get<Config>();
  } catch (const nlohmann::json::exception& e) {
    fail(where, ": ", e.what());
  }
}

template <class T>
void require(bool ok, const std::string& where, const char* key, const T& value,
             const char* expected) {
  check(ok, where, ": ", key, " = ", value, " is invalid; expected ", expected);
}

// The training fields every task has: epochs, optimizer, lr, schedule, warmup,
// label_smoothing, clip_norm, log_every and keep_epochs, under "training.".
template <class Training>
void require_training_fields(const Training& t, const std::string& where) {
  require(t.epochs >= 1, where, "training.epochs", t.epochs, ">= 1");
  require(t.optimizer == "adam" || t.optimizer == "adamw", where, "training.optimizer", t.optimizer,
          "adam or adamw");
  require(t.lr > 0, where, "training.lr", t.lr, "> 0");
  require(t.schedule == "inverse_sqrt" || t.schedule == "cosine" || t.schedule == "constant", where,
          "training.schedule", t.schedule, "inverse_sqrt, cosine or constant");
  require(t.warmup >= 0, where, "training.warmup", t.warmup, ">= 0");
  require(t.label_smoothing >= 0 && t.label_smoothing < 1, where, "training.label_smoothing",
          t.label_smoothing, "in [0, 1)");
  require(t.clip_norm >= 0, where, "training.clip_norm", t.clip_norm, ">= 0");
  require(t.log_every >= 1, where, "training.log_every", t.log_every, ">= 1");
  require(t.keep_epochs >= 0, where, "training.keep_epochs", t.keep_epochs, ">= 0");
}

// The task a config file names ("translation" when it names none).
std::string config_task(const std::string& path);

}  // namespace qkv::train
