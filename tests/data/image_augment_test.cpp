#include "data/image_augment.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "harness/tensor_testing.h"

namespace qkv::data {
namespace {

// Two 3 x 4 images; pixel (y, x) of image k is 10 k + 4 y + x + 1.
ImageSet two_images() {
  ImageSet s;
  s.count = 2;
  s.rows = 3;
  s.cols = 4;
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 12; ++i) s.pixels.push_back(std::uint8_t(10 * k + i + 1));
  s.labels = {0, 1};
  return s;
}

TEST(ImageAugment, NormalisesWithoutChanges) {
  const auto v = normalised_images(two_images(), {1, 0}, 0.5, 0.25).to_vector<float>();
  ASSERT_EQ(v.size(), 24u);
  EXPECT_NEAR(v[0], (11 / 255.0 - 0.5) / 0.25, 1e-6);
  EXPECT_NEAR(v[12 + 11], (12 / 255.0 - 0.5) / 0.25, 1e-6);
}

// Every output is the input moved by at most max_shift (zero fill), mirrored
// only when asked; each shift occurs.
TEST(ImageAugment, ShiftsAndFlipsWithinBounds) {
  const ImageSet set = two_images();
  for (bool hflip : {false, true}) {
    Generator gen(3);
    int shifted = 0, flipped = 0;
    for (int trial = 0; trial < 200; ++trial) {
      const auto v =
          augmented_images(set, {0}, {.max_shift = 1, .hflip = hflip}, gen).to_vector<float>();
      bool found = false;
      for (int dy = -1; dy <= 1 && !found; ++dy)
        for (int dx = -1; dx <= 1 && !found; ++dx)
          for (bool f : {false, true}) {
            if (f && !hflip) continue;
            bool same = true;
            for (int y = 0; y < 3 && same; ++y)
              for (int x = 0; x < 4 && same; ++x) {
                const int sy = y - dy, sx = (f ? 3 - x : x) - dx;
                const float want =
                    sy >= 0 && sy < 3 && sx >= 0 && sx < 4 ? float(4 * sy + sx + 1) / 255.0f : 0;
                same = std::abs(v[y * 4 + x] - want) < 1e-6;
              }
            if (same) {
              found = true;
              shifted += dy != 0 || dx != 0;
              flipped += f;
              break;
            }
          }
      ASSERT_TRUE(found) << "trial " << trial << " is no shift of the input";
    }
    EXPECT_GT(shifted, 120);  // 8 of 9 shifts move the image
    if (hflip) {
      EXPECT_GT(flipped, 60);
    }
  }
}

TEST(ImageAugment, SameSeedSameImagesAndOrder) {
  const ImageSet set = two_images();
  Generator a = batch_generator(5, 2, 7), b = batch_generator(5, 2, 7),
            c = batch_generator(5, 2, 8);
  const AugmentOptions o{.max_shift = 1, .hflip = true};
  const Tensor x = augmented_images(set, {0, 1, 0, 1, 0, 1}, o, a);
  EXPECT_EQ(testing::max_abs_diff(x, augmented_images(set, {0, 1, 0, 1, 0, 1}, o, b)), 0);
  EXPECT_GT(testing::max_abs_diff(x, augmented_images(set, {0, 1, 0, 1, 0, 1}, o, c)), 0);

  const auto e0 = epoch_order(1000, 1, 0);
  EXPECT_EQ(e0, epoch_order(1000, 1, 0));
  EXPECT_NE(e0, epoch_order(1000, 1, 1));
  EXPECT_NE(e0, epoch_order(1000, 2, 0));
  auto sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
}

TEST(ImageAugment, RefusesBadOptions) {
  Generator gen;
  EXPECT_THROW(augmented_images(two_images(), {0}, {.max_shift = 3}, gen), Error);
  EXPECT_THROW(augmented_images(two_images(), {2}, {}, gen), Error);
  EXPECT_THROW(augmented_images(two_images(), {0}, {.std = 0}, gen), Error);
}

}  // namespace
}  // namespace qkv::data
