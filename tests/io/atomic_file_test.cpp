#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "core/creation.h"
#include "io/io_testing.h"
#include "io/safetensors.h"

namespace qkv {
namespace {

using testing::error_of;
using testing::read_text;
using testing::TempDir;

void write_text(const std::filesystem::path& path, const std::string& text) {
  write_file_atomically(path, [&](AtomicFileOutput& out) { out.write(text); });
}

TEST(AtomicFile, CreatesFileWithContent) {
  TempDir dir;
  std::size_t written = 0;
  write_file_atomically(dir / "a.txt", [&](AtomicFileOutput& out) {
    out.write("hello ");
    out.write(std::as_bytes(std::span<const char>("world", 5)));
    written = out.size();
  });
  EXPECT_EQ(written, 11u);
  EXPECT_EQ(read_text(dir / "a.txt"), "hello world");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.txt"});
}

TEST(AtomicFile, ReplacesExistingFile) {
  TempDir dir;
  write_text(dir / "a.txt", "old content, longer than the new");
  write_text(dir / "a.txt", "new");
  EXPECT_EQ(read_text(dir / "a.txt"), "new");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.txt"});
}

TEST(AtomicFile, WriterThatThrowsLeavesOldContent) {
  TempDir dir;
  write_text(dir / "a.txt", "old");
  EXPECT_THROW(write_file_atomically(dir / "a.txt",
                                     [](AtomicFileOutput& out) {
                                       out.write("partial new cont");
                                       throw std::runtime_error("disk on fire");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read_text(dir / "a.txt"), "old");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.txt"});
}

TEST(AtomicFile, WriterThatThrowsCreatesNothing) {
  TempDir dir;
  EXPECT_HAS(error_of([&] {
               write_file_atomically(dir / "a.txt", [](AtomicFileOutput& out) {
                 out.write("x");
                 fail("stopped on purpose");
               });
             }),
             "stopped on purpose");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, MissingDirectoryIsAnError) {
  TempDir dir;
  const auto target = dir / "no/such/dir/a.txt";
  EXPECT_HAS(error_of([&] { write_text(target, "x"); }),
             "cannot write \"" + target.string() + "\": cannot create a temporary file");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(AtomicFile, TargetThatIsADirectoryIsLeftAlone) {
  TempDir dir;
  std::filesystem::create_directory(dir / "sub");
  write_text(dir / "sub" / "keep.txt", "kept");
  EXPECT_HAS(error_of([&] { write_text(dir / "sub", "x"); }), "cannot replace");
  EXPECT_EQ(read_text(dir / "sub" / "keep.txt"), "kept");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"sub"});
}

TEST(AtomicFile, ConcurrentWritersNeverMixContents) {
  TempDir dir;
  const auto target = dir / "a.txt";
  const std::string a(100000, 'a'), b(50000, 'b');
  auto writer = [&](const std::string& text) {
    for (int i = 0; i < 20; ++i) write_text(target, text);
  };
  std::thread ta(writer, std::cref(a)), tb(writer, std::cref(b));
  ta.join();
  tb.join();
  const std::string got = read_text(target);
  EXPECT_TRUE(got == a || got == b) << "mixed or partial content of size " << got.size();
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.txt"});
}

TEST(AtomicFile, FailedSafetensorsSaveKeepsPreviousFile) {
  TempDir dir;
  const auto path = dir / "m.safetensors";
  save_safetensors(path, {{"w", ones({2})}});
  // The bad metadata value is found while the new file is being written.
  EXPECT_HAS(error_of([&] {
               save_safetensors(path, {{"w", zeros({3})}}, {{"k", "\xff"}});
             }),
             "not valid UTF-8");
  EXPECT_EQ(load_safetensors(path).tensors.at("w").to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"m.safetensors"});
}

}  // namespace
}  // namespace qkv
