#include "train/config_checks.h"

#include <fstream>
#include <sstream>

namespace qkv::train {

namespace {

void check_keys(const nlohmann::json& given, const nlohmann::json& known, const std::string& path,
                const std::string& where) {
  if (!given.is_object()) return;
  check(known.is_object(), where, ": ", path, " must be a value, not an object");
  for (const auto& [key, value] : given.items()) {
    const std::string at = path.empty() ? key : path + "." + key;
    check(known.contains(key), where, ": unknown key '", at, "'");
    check(!known[key].is_object() || value.is_object(), where, ": ", at, " must be an object");
    check_keys(value, known[key], at, where);
  }
}

}  // namespace

std::string read_config_file(const std::string& path) {
  std::ifstream in(path);
  check(in.good(), "cannot open config '", path, "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json parse_config_object(const std::string& text, const nlohmann::json& known,
                                   const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail(where, ": not valid JSON (", e.what(), ")");
  }
  check(j.is_object(), where, ": expected a JSON object");
  check_keys(j, known, "", where);
  return j;
}

std::string config_task(const std::string& path) {
  const auto j = nlohmann::json::parse(read_config_file(path), nullptr, false);
  check(!j.is_discarded() && j.is_object(), path, ": not a JSON object");
  const auto it = j.find("task");
  if (it == j.end()) return "translation";
  check(it->is_string(), path, ": task must be a string");
  return it->get<std::string>();
}

}  // namespace qkv::train
