#pragma once
// One seeded generator per run. Draws reserve a range of Philox counters, so
// results depend only on the seed and the order of draws, not on thread count.

#include <cstdint>

namespace qkv {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  // The counter of the next draw; saved in checkpoints to resume a run exactly.
  std::uint64_t offset() const { return offset_; }
  void set_state(std::uint64_t seed, std::uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves n counters and returns the first.
  std::uint64_t reserve(std::uint64_t n) {
    std::uint64_t first = offset_;
    offset_ += n;
    return first;
  }
  // A 64-bit integer: the next counter's first two words.
  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double next_uniform();

 private:
  std::uint64_t seed_;
  std::uint64_t offset_ = 0;
};

// The process-wide generator used when a caller passes none.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace qkv
