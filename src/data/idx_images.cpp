#include "data/idx_images.h"

#include <zlib.h>

#include <algorithm>

#include "core/error.h"

namespace qkv::data {

namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803, kLabelsMagic = 0x00000801;

std::uint32_t big_endian(const std::vector<std::uint8_t>& b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) |
         (std::uint32_t(b[at + 2]) << 8) | std::uint32_t(b[at + 3]);
}

}  // namespace

std::vector<std::uint8_t> read_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  check(f != nullptr, "cannot open '", path, "'");
  std::vector<std::uint8_t> out;
  std::uint8_t buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const std::string why = gzerror(f, &code);
      gzclose(f);
      fail("'", path, "' is not a valid gzip file (", why, ")");
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  // gzread stops quietly at a stream cut short; gzclose_r reports it.
  const int end = gzclose_r(f);
  check(end == Z_OK, "'", path, "' ends in the middle of its gzip stream (truncated)");
  return out;
}

ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path,
                         std::int64_t limit) {
  const auto img = read_gzip(images_path);
  const auto lab = read_gzip(labels_path);
  check(img.size() >= 16, images_path, ": ", img.size(),
        " bytes, too short for an IDX image header");
  check(lab.size() >= 8, labels_path, ": ", lab.size(),
        " bytes, too short for an IDX label header");
  check(big_endian(img, 0) == kImagesMagic, images_path, ": magic number 0x", std::hex,
        big_endian(img, 0), std::dec, " is not 0x00000803 (IDX unsigned-byte images)");
  check(big_endian(lab, 0) == kLabelsMagic, labels_path, ": magic number 0x", std::hex,
        big_endian(lab, 0), std::dec, " is not 0x00000801 (IDX unsigned-byte labels)");
  ImageSet set;
  set.count = big_endian(img, 4);
  set.rows = big_endian(img, 8);
  set.cols = big_endian(img, 12);
  const std::int64_t labels = big_endian(lab, 4);
  check(set.rows > 0 && set.cols > 0, images_path, ": images of ", set.rows, " x ", set.cols,
        " pixels");
  const std::uint64_t want = 16 + std::uint64_t(set.count) * set.rows * set.cols;
  check(img.size() >= want, images_path, ": truncated: the header promises ", set.count,
        " images of ", set.rows, " x ", set.cols, " (", want, " bytes), the file has ", img.size());
  check(img.size() == want, images_path, ": ", img.size() - want, " bytes after the last image");
  check(lab.size() >= 8 + std::uint64_t(labels), labels_path, ": truncated: the header promises ",
        labels, " labels, the file has ", lab.size() - 8);
  check(lab.size() == 8 + std::uint64_t(labels), labels_path, ": ", lab.size() - 8 - labels,
        " bytes after the last label");
  check(labels == set.count, images_path, " holds ", set.count, " images but ", labels_path,
        " holds ", labels, " labels");
  if (limit > 0) set.count = std::min(set.count, limit);
  const std::int64_t plane = set.rows * set.cols;
  set.pixels.assign(img.begin() + 16, img.begin() + 16 + set.count * plane);
  set.labels.assign(lab.begin() + 8, lab.begin() + 8 + set.count);
  return set;
}

}  // namespace qkv::data
