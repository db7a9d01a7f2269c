#pragma once
// Sentence-aligned text for translation: line i of the source file is the
// translation of line i of the target file (Multi30k's train.de / train.en).

#include <cstdint>
#include <string>
#include <vector>

namespace qkv::data {

struct ParallelText {
  std::vector<std::string> source, target;
};

// Reads both files whole (UTF-8, '\n' or "\r\n" line ends, a final newline
// optional). Throws qkv::Error naming the file and line for: a missing or
// unreadable file, different line counts (both counts named), an empty or
// all-whitespace line on either side, and a file with no lines. `limit` > 0
// keeps the first `limit` pairs.
ParallelText read_parallel_text(const std::string& source_path, const std::string& target_path,
                                std::int64_t limit = 0);

}  // namespace qkv::data
