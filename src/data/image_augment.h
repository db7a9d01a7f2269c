#pragma once
// Augmentation for small grey images (SPEC section 9): each image shifted by a
// few pixels with zero fill (a random crop of the zero-padded image, the usual
// "pad 2, crop 28" of MNIST training), and for data without a handedness
// (Fashion-MNIST, not digits) mirrored left-right half the time. Shuffling and
// augmentation draw from generators seeded by (seed, epoch, batch), so an epoch
// is the same whatever ran before it, and a resumed run sees the same images.

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "data/idx_images.h"

namespace qkv::data {

struct AugmentOptions {
  std::int64_t max_shift = 0;  // pixels, each direction, drawn uniformly from [-s, s]
  bool hflip = false;          // mirror left-right with probability 1/2
  double mean = 0, std = 1;    // normalisation of pixels / 255
};

// The images at `indices`, augmented with draws from gen and normalised:
// float32 [n, 1, rows, cols].
Tensor augmented_images(const ImageSet& set, const std::vector<std::int64_t>& indices,
                        const AugmentOptions& options, Generator& gen);

// The images at `indices`, normalised and otherwise unchanged.
Tensor normalised_images(const ImageSet& set, const std::vector<std::int64_t>& indices, double mean,
                         double std);

// 0 .. n-1 in the order of the epoch: a Fisher-Yates shuffle seeded by (seed, epoch).
std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch);

// The generator for one batch's augmentation.
Generator batch_generator(std::uint64_t seed, std::int64_t epoch, std::int64_t batch);

}  // namespace qkv::data
