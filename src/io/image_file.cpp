#include "io/image_file.h"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <memory>

#include "core/error.h"

namespace qkv {

GreyImage read_grey_image(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(stbi_load(path.c_str(), &w, &h, &channels, 1),
                                                 stbi_image_free);
  check(data != nullptr, "cannot read image '", path, "': ", stbi_failure_reason());
  GreyImage out{h, w, {}};
  out.pixels.assign(data.get(), data.get() + std::size_t(w) * std::size_t(h));
  return out;
}

GreyImage resized(const GreyImage& image, std::int64_t rows, std::int64_t cols) {
  check(rows > 0 && cols > 0, "resized: target size ", rows, " x ", cols, " is empty");
  if (image.rows == rows && image.cols == cols) return image;
  GreyImage out{rows, cols, std::vector<std::uint8_t>(std::size_t(rows * cols))};
  const int ok = stbir_resize_uint8(image.pixels.data(), int(image.cols), int(image.rows), 0,
                                    out.pixels.data(), int(cols), int(rows), 0, 1);
  check(ok == 1, "resized: cannot scale a ", image.rows, " x ", image.cols, " image to ", rows,
        " x ", cols);
  return out;
}

}  // namespace qkv
