#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/error.h"

namespace qkv {

namespace fs = std::filesystem;

namespace {

std::string describe_errno(int err) { return std::strerror(err); }

// A name no other writer uses: the process id tells processes apart, the
// counter threads of one process, and the random part guards against a stale
// file left by an earlier process with the same id.
fs::path temporary_name(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%u-%08llx", static_cast<long>(::getpid()),
                counter.fetch_add(1), static_cast<unsigned long long>(rng() & 0xFFFFFFFFu));
  // Appending piece by piece avoids GCC 12's false -Wrestrict on chained operator+.
  std::string file = ".";
  file += target.filename().string();
  file += suffix;
  fs::path name = target;
  name.replace_filename(file);
  return name;
}

// Opens a new temporary file beside target; returns its descriptor.
int create_temporary(const fs::path& target, fs::path& temp) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp = temporary_name(target);
    // 0666 before the umask: the new file gets the permissions a plain
    // std::ofstream would give it.
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST)
      fail("cannot write ", target, ": cannot create a temporary file in its directory (",
           describe_errno(errno), ")");
  }
  fail("cannot write ", target, ": no unused temporary file name beside it");
}

void sync_directory(const fs::path& target) {
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory ", dir, " to flush it: ", describe_errno(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory; the data is safe, the rename
  // merely not yet durable, so only real I/O errors count.
  if (rc != 0 && err != EINVAL && err != ENOTSUP)
    fail("cannot flush directory ", dir, ": ", describe_errno(err));
}

}  // namespace

void AtomicFileOutput::write(std::span<const std::byte> bytes) {
  const std::byte* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write ", target_, ": ", describe_errno(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  size_ += bytes.size();
}

void AtomicFileOutput::write(std::string_view text) {
  write(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

void write_file_atomically(const fs::path& target,
                           const std::function<void(AtomicFileOutput&)>& write) {
  check(!target.filename().empty(), "cannot write ", target, ": the path names no file");
  fs::path temp;
  int fd = create_temporary(target, temp);
  try {
    AtomicFileOutput out(fd, target);
    write(out);
    if (::fsync(fd) != 0) fail("cannot flush ", target, " to disk: ", describe_errno(errno));
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail("cannot write ", target, ": ", describe_errno(errno));
    if (::rename(temp.c_str(), target.c_str()) != 0)
      fail("cannot replace ", target, ": ", describe_errno(errno));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  sync_directory(target);
}

}  // namespace qkv
