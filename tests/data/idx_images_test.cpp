#include "data/idx_images.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/data_path.h"

namespace qkv::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(v >> s));
}

Bytes images(std::uint32_t magic, std::uint32_t n, std::uint32_t rows, std::uint32_t cols,
             std::size_t pixels) {
  Bytes b;
  put32(b, magic);
  put32(b, n);
  put32(b, rows);
  put32(b, cols);
  for (std::size_t i = 0; i < pixels; ++i) b.push_back(std::uint8_t(i * 37));
  return b;
}

Bytes labels(std::uint32_t magic, std::uint32_t n, std::size_t count) {
  Bytes b;
  put32(b, magic);
  put32(b, n);
  for (std::size_t i = 0; i < count; ++i) b.push_back(std::uint8_t(i % 10));
  return b;
}

std::string write_gz(const std::string& name, const Bytes& bytes) {
  const fs::path p = fs::temp_directory_path() / ("qkv_idx_" + name + ".gz");
  gzFile f = gzopen(p.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
  gzclose(f);
  return p.string();
}

std::string error_of(const std::string& imgs, const std::string& labs) {
  try {
    read_idx_images(imgs, labs);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

const std::string& good_labels() {
  static const std::string p = write_gz("good-labels", labels(0x801, 3, 3));
  return p;
}

TEST(IdxImages, ReadsImagesAndLabels) {
  const auto set = read_idx_images(write_gz("good", images(0x803, 3, 2, 3, 18)), good_labels());
  EXPECT_EQ(set.count, 3);
  EXPECT_EQ(set.rows, 2);
  EXPECT_EQ(set.cols, 3);
  ASSERT_EQ(set.pixels.size(), 18u);
  EXPECT_EQ(set.pixels[5], std::uint8_t(5 * 37));
  EXPECT_EQ(set.labels, (std::vector<std::int64_t>{0, 1, 2}));
  const auto two = read_idx_images(write_gz("good", images(0x803, 3, 2, 3, 18)), good_labels(), 2);
  EXPECT_EQ(two.count, 2);
  EXPECT_EQ(two.pixels.size(), 12u);
  EXPECT_EQ(two.labels.size(), 2u);
}

TEST(IdxImages, RefusesBadFilesNamingThem) {
  const auto img = [](const std::string& name, const Bytes& b) { return write_gz(name, b); };
  EXPECT_NE(error_of(img("magic", images(0x801, 3, 2, 3, 18)), good_labels()).find("magic number"),
            std::string::npos);
  const std::string bad_lab = write_gz("bad-magic-labels", labels(0x803, 3, 3));
  const std::string good_img = img("good", images(0x803, 3, 2, 3, 18));
  EXPECT_NE(error_of(good_img, bad_lab).find("qkv_idx_bad-magic-labels.gz: magic number 0x803"),
            std::string::npos)
      << error_of(good_img, bad_lab);
  const std::string truncated = error_of(img("short", images(0x803, 3, 2, 3, 17)), good_labels());
  EXPECT_NE(truncated.find("qkv_idx_short.gz: truncated: the header promises 3 images of 2 x 3"),
            std::string::npos)
      << truncated;
  EXPECT_NE(error_of(img("long", images(0x803, 3, 2, 3, 19)), good_labels())
                .find("1 bytes after the last image"),
            std::string::npos);
  EXPECT_NE(error_of(img("header", Bytes{0, 0, 8, 3, 0}), good_labels()).find("too short"),
            std::string::npos);
  EXPECT_NE(error_of(img("rows", images(0x803, 3, 0, 3, 0)), good_labels()).find("images of 0 x 3"),
            std::string::npos);
  const std::string short_labels = write_gz("short-labels", labels(0x801, 3, 2));
  EXPECT_NE(error_of(good_img, short_labels).find("truncated: the header promises 3 labels"),
            std::string::npos);
  const std::string four = write_gz("four-labels", labels(0x801, 4, 4));
  EXPECT_NE(error_of(good_img, four).find("holds 3 images but"), std::string::npos)
      << error_of(good_img, four);
  EXPECT_NE(error_of("/nonexistent/x.gz", good_labels()).find("cannot open '/nonexistent/x.gz'"),
            std::string::npos);
}

TEST(IdxImages, RefusesACutGzipStream) {
  const std::string whole = write_gz("whole", images(0x803, 3, 2, 3, 18));
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path cut = fs::temp_directory_path() / "qkv_idx_cut.gz";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 6);
  EXPECT_NE(error_of(cut.string(), good_labels()).find("truncated"), std::string::npos)
      << error_of(cut.string(), good_labels());
}

// The real files: counts, sizes and the first test labels (MNIST: 7, 2, 1;
// Fashion-MNIST: ankle boot 9, pullover 2, trouser 1).
TEST(IdxImages, ReadsTheRealTestSets) {
  for (const auto& [name, first] : std::vector<std::pair<std::string, std::vector<std::int64_t>>>{
           {"mnist", {7, 2, 1}}, {"fashion-mnist", {9, 2, 1}}}) {
    const std::string dir =
        find_data_set(name, {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"});
    const auto set =
        read_idx_images(dir + "/t10k-images-idx3-ubyte.gz", dir + "/t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(set.count, 10000) << name;
    EXPECT_EQ(set.rows, 28);
    EXPECT_EQ(set.cols, 28);
    EXPECT_EQ(std::vector<std::int64_t>(set.labels.begin(), set.labels.begin() + 3), first) << name;
  }
}

}  // namespace
}  // namespace qkv::data
