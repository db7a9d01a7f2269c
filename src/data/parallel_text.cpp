#include "data/parallel_text.h"

#include <fstream>

#include "core/error.h"

namespace qkv::data {

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check(in.good(), "parallel text: cannot open '", path, "'");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  check(!in.bad(), "parallel text: error reading '", path, "'");
  check(!lines.empty(), "parallel text: '", path, "' is empty");
  return lines;
}

void check_not_blank(const std::vector<std::string>& lines, const std::string& path) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    check(lines[i].find_first_not_of(" \t\v\f") != std::string::npos, "parallel text: ", path, ":",
          i + 1, " is an empty line (every line must hold a sentence)");
}

}  // namespace

ParallelText read_parallel_text(const std::string& source_path, const std::string& target_path,
                                std::int64_t limit) {
  ParallelText t{read_lines(source_path), read_lines(target_path)};
  check(t.source.size() == t.target.size(), "parallel text: '", source_path, "' has ",
        t.source.size(), " lines but '", target_path, "' has ", t.target.size());
  if (limit > 0 && static_cast<std::size_t>(limit) < t.source.size()) {
    t.source.resize(limit);
    t.target.resize(limit);
  }
  check_not_blank(t.source, source_path);
  check_not_blank(t.target, target_path);
  return t;
}

}  // namespace qkv::data
