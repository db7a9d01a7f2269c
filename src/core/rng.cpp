#include "core/rng.h"

#include "core/philox.h"

namespace qkv {

std::uint64_t Generator::next_u64() {
  auto r = philox4x32(reserve(1), seed_);
  return (std::uint64_t(r[0]) << 32) | r[1];
}

double Generator::next_uniform() {
  auto r = philox4x32(reserve(1), seed_);
  return uints_to_unit_double(r[0], r[1]);
}

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().set_state(seed, 0); }

}  // namespace qkv
