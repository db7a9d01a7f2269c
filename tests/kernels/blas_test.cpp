#include "kernels/blas.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

namespace qkv {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_one_of(const std::string& name, const std::vector<std::string>& names) {
  return std::find(names.begin(), names.end(), lower(name)) != names.end();
}

// The AVX-512 subset OpenBLAS's SkylakeX kernels use.
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

TEST(Blas, LoadsWithGemmSymbols) {
  const auto& lib = kernels::blas::library();
  EXPECT_NE(lib.sgemm, nullptr);
  EXPECT_NE(lib.dgemm, nullptr);
  EXPECT_FALSE(lib.path.empty());
  EXPECT_FALSE(lib.core_name.empty()) << "OpenBLAS did not report its kernel set";
}

TEST(Blas, PreferredCoreTypeFollowsCpuFeatures) {
  const std::string preferred = kernels::blas::preferred_core_type();
  __builtin_cpu_init();
  if (cpu_has_avx512()) {
    EXPECT_TRUE(is_one_of(preferred, {"skylakex", "cooperlake"})) << preferred;
    EXPECT_EQ(preferred == "Cooperlake", bool(__builtin_cpu_supports("avx512bf16")));
  } else if (cpu_has_avx2()) {
    EXPECT_EQ(preferred, "Haswell");
  } else {
    EXPECT_EQ(preferred, "");
  }
}

TEST(Blas, RunsTheKernelsOfThisCpu) {
  // Debian's OpenBLAS falls back to generic kernels (3x slower here) on CPUs it
  // does not recognise; qkv must have steered it to the right set.
  const std::string core = kernels::blas::library().core_name;
  if (cpu_has_avx512()) {
    EXPECT_TRUE(is_one_of(core, {"skylakex", "cooperlake", "sapphirerapids"}))
        << "AVX-512 CPU but OpenBLAS runs " << core;
  } else if (cpu_has_avx2()) {
    EXPECT_FALSE(is_one_of(core, {"prescott", "core2", "nehalem", "sandybridge", "katmai",
                                  "coppermine", "northwood", "banias", "atom", "dunnington"}))
        << "AVX2 CPU but OpenBLAS runs " << core;
  }
  // Unless the user chose a core type, OpenBLAS runs the one qkv asked for.
  const char* env = std::getenv("OPENBLAS_CORETYPE");
  const std::string preferred = kernels::blas::preferred_core_type();
  if (!preferred.empty() && env && lower(env) == lower(preferred)) {
    EXPECT_EQ(lower(core), lower(preferred));
  }
}

}  // namespace
}  // namespace qkv
