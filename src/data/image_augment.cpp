#include "data/image_augment.h"

#include <algorithm>
#include <utility>

#include "core/creation.h"
#include "core/error.h"

namespace qkv::data {

namespace {

// splitmix64's finaliser: distinct (seed, epoch, batch) give unrelated seeds.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::int64_t below(Generator& gen, std::int64_t n) {
  return static_cast<std::int64_t>(gen.next_u64() % static_cast<std::uint64_t>(n));
}

}  // namespace

Generator batch_generator(std::uint64_t seed, std::int64_t epoch, std::int64_t batch) {
  return Generator(mix(mix(seed ^ 0xA0761D6478BD642Full) + std::uint64_t(epoch)) +
                   std::uint64_t(batch));
}

std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = i;
  Generator gen(mix(seed + 0x9E3779B97F4A7C15ull * std::uint64_t(epoch + 1)));
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[below(gen, i + 1)]);
  return order;
}

Tensor augmented_images(const ImageSet& set, const std::vector<std::int64_t>& indices,
                        const AugmentOptions& o, Generator& gen) {
  check(o.max_shift >= 0 && o.max_shift < std::min(set.rows, set.cols),
        "augmented_images: max_shift ", o.max_shift, " does not fit images of ", set.rows, " x ",
        set.cols);
  check(o.std > 0, "augmented_images: std must be positive, got ", o.std);
  const std::int64_t rows = set.rows, cols = set.cols, plane = rows * cols;
  const std::int64_t n = static_cast<std::int64_t>(indices.size());
  const float scale = float(1 / (255.0 * o.std)), background = float(-o.mean / o.std);
  std::vector<float> out(static_cast<std::size_t>(n * plane), background);
  for (std::int64_t i = 0; i < n; ++i) {
    check(indices[i] >= 0 && indices[i] < set.count, "augmented_images: index ", indices[i],
          " outside the ", set.count, " images");
    const std::int64_t dy = o.max_shift ? below(gen, 2 * o.max_shift + 1) - o.max_shift : 0;
    const std::int64_t dx = o.max_shift ? below(gen, 2 * o.max_shift + 1) - o.max_shift : 0;
    const bool flip = o.hflip && (gen.next_u64() & 1);
    const std::uint8_t* src = set.pixels.data() + indices[i] * plane;
    float* dst = out.data() + i * plane;
    // Output pixel (y, x) shows input pixel (y - dy, x' - dx), x' = x or its mirror.
    for (std::int64_t y = std::max<std::int64_t>(0, dy); y < std::min(rows, rows + dy); ++y)
      for (std::int64_t x = std::max<std::int64_t>(0, dx); x < std::min(cols, cols + dx); ++x) {
        const std::int64_t sx = x - dx;
        dst[y * cols + (flip ? cols - 1 - x : x)] =
            float(src[(y - dy) * cols + sx]) * scale + background;
      }
  }
  return from_vector(out, {n, 1, rows, cols});
}

Tensor normalised_images(const ImageSet& set, const std::vector<std::int64_t>& indices, double mean,
                         double std) {
  Generator unused;  // no draws without shifts or flips
  return augmented_images(set, indices, {.mean = mean, .std = std}, unused);
}

}  // namespace qkv::data
