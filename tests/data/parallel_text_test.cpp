#include "data/parallel_text.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace qkv::data {
namespace {

namespace fs = std::filesystem;

std::string write(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("qkv_parallel_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string error_of(const std::string& a, const std::string& b) {
  try {
    read_parallel_text(a, b);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ParallelText, ReadsAlignedLines) {
  const auto t = read_parallel_text(write("a.de", "Ein Hund.\r\nZwei Katzen.\n"),
                                    write("a.en", "A dog.\nTwo cats."));
  EXPECT_EQ(t.source, (std::vector<std::string>{"Ein Hund.", "Zwei Katzen."}));
  EXPECT_EQ(t.target, (std::vector<std::string>{"A dog.", "Two cats."}));
  EXPECT_EQ(
      read_parallel_text(write("b.de", "x\ny\nz\n"), write("b.en", "1\n2\n3\n"), 2).source.size(),
      2u);
}

TEST(ParallelText, ErrorsNameFileAndLine) {
  const std::string de = write("c.de", "eins\nzwei\ndrei\n");
  EXPECT_EQ(error_of(de, write("c.en", "one\ntwo\n")),
            "parallel text: '" + de + "' has 3 lines but '" +
                (fs::temp_directory_path() / "qkv_parallel_c.en").string() + "' has 2");
  const std::string en = write("d.en", "one\n  \nthree\n");
  EXPECT_EQ(error_of(de, en),
            "parallel text: " + en + ":2 is an empty line (every line must hold a sentence)");
  EXPECT_EQ(error_of(de, "/no/such/file.en"), "parallel text: cannot open '/no/such/file.en'");
  const std::string empty = write("e.en", "");
  EXPECT_EQ(error_of(empty, empty), "parallel text: '" + empty + "' is empty");
}

}  // namespace
}  // namespace qkv::data
