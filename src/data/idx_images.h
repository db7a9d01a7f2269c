#pragma once
// The IDX files of MNIST and Fashion-MNIST (LeCun et al.), gzip-compressed as
// distributed: a big-endian header (magic 0x00000803 for images, 0x00000801
// for labels; then the count, and for images rows and columns) followed by
// one unsigned byte per pixel or label.

#include <cstdint>
#include <string>
#include <vector>

namespace qkv::data {

struct ImageSet {
  std::int64_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count x rows x cols, row-major
  std::vector<std::int64_t> labels;  // count
};

// Reads a pair of gzip IDX files (zlib inflates them). Throws qkv::Error naming
// the file for: a missing file, a broken gzip stream, a wrong magic number, a
// truncated file (fewer bytes than the header promises), trailing bytes,
// zero-sized images, and image and label counts that differ. `limit` > 0
// keeps the first `limit` examples.
ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path,
                         std::int64_t limit = 0);

// The whole file, inflated; throws qkv::Error naming the file.
std::vector<std::uint8_t> read_gzip(const std::string& path);

}  // namespace qkv::data
