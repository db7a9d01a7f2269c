#pragma once
// Images read from files for the models that take pictures (`qkv classify`):
// PNG, JPEG, BMP and the other formats stb_image reads, as 8-bit grey levels
// (colour is turned into luma by stb_image), resized with stb_image_resize.

#include <cstdint>
#include <string>
#include <vector>

namespace qkv {

struct GreyImage {
  std::int64_t rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // rows x cols, row-major, 0 black
};

// Throws qkv::Error naming the file and stb_image's reason when it cannot be read.
GreyImage read_grey_image(const std::string& path);

// The image scaled to rows x cols (itself when the size already matches).
GreyImage resized(const GreyImage& image, std::int64_t rows, std::int64_t cols);

}  // namespace qkv
