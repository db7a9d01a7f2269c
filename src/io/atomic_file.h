#pragma once
// Replacing a file so that readers, and a crash at any moment, see either the
// whole old content or the whole new content, never a mix or a truncated file.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace qkv {

// The temporary file that write_file_atomically hands to its writer callback.
class AtomicFileOutput {
 public:
  AtomicFileOutput(const AtomicFileOutput&) = delete;
  AtomicFileOutput& operator=(const AtomicFileOutput&) = delete;

  // Appends bytes; throws qkv::Error naming the target file when the write fails.
  void write(std::span<const std::byte> bytes);
  void write(std::string_view text);
  // Bytes written so far.
  std::size_t size() const { return size_; }

 private:
  friend void write_file_atomically(const std::filesystem::path&,
                                    const std::function<void(AtomicFileOutput&)>&);
  AtomicFileOutput(int fd, std::filesystem::path target) : fd_(fd), target_(std::move(target)) {}

  int fd_;
  std::filesystem::path target_;
  std::size_t size_ = 0;
};

// Writes `target` through `write`: the bytes go to a new uniquely named file in
// the same directory, which is flushed to disk (fsync) and renamed over target,
// and then the directory is flushed so the rename itself survives a crash.
// If `write` throws, or any step fails, the temporary file is removed, target
// keeps its old content (or stays absent), and the exception propagates
// (system failures as qkv::Error naming the path and the reason).
void write_file_atomically(const std::filesystem::path& target,
                           const std::function<void(AtomicFileOutput&)>& write);

}  // namespace qkv
