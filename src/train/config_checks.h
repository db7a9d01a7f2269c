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

// The task a config file names ("translation" when it names none).
std::string config_task(const std::string& path);

}  // namespace qkv::train
