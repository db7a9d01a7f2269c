#include "core/block_cache.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace qkv {
namespace {

TEST(BlockCache, ReusesLargeBlocksOfTheSameClass) {
  block_cache::clear();
  std::size_t cap = 0;
  void* a = block_cache::allocate(1000000, &cap);
  EXPECT_GE(cap, 1000000u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % 64, 0u);
  block_cache::release(a, cap);
  EXPECT_EQ(block_cache::cached_bytes(), cap);
  // A slightly smaller request of the same size class gets the same block back.
  std::size_t cap2 = 0;
  void* b = block_cache::allocate(990000, &cap2);
  EXPECT_EQ(b, a);
  EXPECT_EQ(cap2, cap);
  EXPECT_EQ(block_cache::cached_bytes(), 0u);
  // A request of another class gets a new block.
  std::size_t cap3 = 0;
  void* c = block_cache::allocate(3000000, &cap3);
  EXPECT_NE(c, b);
  block_cache::release(b, cap2);
  block_cache::release(c, cap3);
  EXPECT_EQ(block_cache::cached_bytes(), cap2 + cap3);
  block_cache::clear();
  EXPECT_EQ(block_cache::cached_bytes(), 0u);
}

TEST(BlockCache, SmallBlocksAndHugeBlocks) {
  block_cache::clear();
  std::size_t cap = 0;
  void* small = block_cache::allocate(100, &cap);
  EXPECT_EQ(cap, 128u);
  block_cache::release(small, cap);
  EXPECT_EQ(block_cache::cached_bytes(), 0u);  // left to malloc
  void* huge = block_cache::allocate(9u << 20, &cap);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(huge) % (2u << 20), 0u);
  EXPECT_EQ(cap % (2u << 20), 0u);
  block_cache::release(huge, cap);
  block_cache::clear();
}

}  // namespace
}  // namespace qkv
