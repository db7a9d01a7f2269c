#include "data/data_path.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "core/error.h"

namespace qkv::data {

std::vector<std::string> data_search_path() {
  std::vector<std::string> roots;
  if (const char* env = std::getenv("QKV_DATA")) {
    std::stringstream s(env);
    std::string dir;
    while (std::getline(s, dir, ':'))
      if (!dir.empty()) roots.push_back(dir);
  }
  roots.push_back("./data");
  roots.push_back("../shared/data");
  return roots;
}

std::string find_data_set(const std::string& name, const std::vector<std::string>& files) {
  namespace fs = std::filesystem;
  std::ostringstream wanted, looked;
  for (std::size_t i = 0; i < files.size(); ++i) wanted << (i ? ", " : "") << files[i];
  const char* env = std::getenv("QKV_DATA");
  if (!env || !*env) looked << "$QKV_DATA (unset), ";
  const auto roots = data_search_path();
  for (std::size_t r = 0; r < roots.size(); ++r) {
    const fs::path dir = fs::path(roots[r]) / name;
    std::error_code ec;
    std::string lacking;
    if (!fs::is_directory(dir, ec)) {
      lacking = "missing";
    } else {
      for (const auto& f : files)
        if (!fs::is_regular_file(dir / f, ec)) {
          lacking = "lacks " + f;
          break;
        }
    }
    if (lacking.empty()) return dir.string();
    looked << (r ? ", " : "") << dir.string() << " (" << lacking << ")";
  }
  fail("data set ", name, ": need ", wanted.str(), "; looked in ", looked.str(),
       ". Set QKV_DATA to the folder that holds ", name, "/");
}

}  // namespace qkv::data
