#include "core/block_cache.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace qkv::block_cache {

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;
// Large buffers are aligned to 2 MiB and marked for transparent huge pages, so
// they fault in 2 MiB at a time (softmax over [16384 x 8000] ran 3x slower on
// 4 KiB pages).
constexpr std::size_t kHugeFrom = 4 * kHugePage;
constexpr std::size_t kCachedFrom = std::size_t{256} << 10;
// What the cache may hold, not counting buffers in use.
constexpr std::size_t kLimit = std::size_t{1} << 30;

// Size classes 2^e x (1 + i/4): a block serves requests at most 25% smaller.
std::size_t size_class(std::size_t n) {
  std::size_t top = 1;
  while (top * 2 <= n) top *= 2;
  const std::size_t step = top / 4;
  return (n + step - 1) / step * step;
}

struct Cache {
  std::mutex mutex;
  std::map<std::size_t, std::vector<void*>> free_blocks;
  std::size_t bytes = 0;

  ~Cache() {
    for (auto& [size, blocks] : free_blocks)
      for (void* b : blocks) std::free(b);
  }
};

Cache& cache() {
  static Cache c;
  return c;
}

void* fresh(std::size_t capacity) {
  const std::size_t align = capacity >= kHugeFrom ? kHugePage : 64;
  const std::size_t rounded = (capacity + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Advice only: where huge pages are off, the memory is simply not huge.
  if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return p;
}

}  // namespace

void* allocate(std::size_t nbytes, std::size_t* capacity) {
  if (nbytes < kCachedFrom) {
    *capacity = nbytes == 0 ? 64 : (nbytes + 63) / 64 * 64;
    return fresh(*capacity);
  }
  *capacity = size_class(nbytes);
  if (*capacity >= kHugeFrom) *capacity = (*capacity + kHugePage - 1) / kHugePage * kHugePage;
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(*capacity);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.bytes -= *capacity;
      return p;
    }
  }
  return fresh(*capacity);
}

void release(void* block, std::size_t capacity) {
  if (!block) return;
  if (capacity >= kCachedFrom) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + capacity <= kLimit) {
      c.free_blocks[capacity].push_back(block);
      c.bytes += capacity;
      return;
    }
  }
  std::free(block);
}

std::size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.bytes;
}

void clear() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* b : blocks) std::free(b);
  c.free_blocks.clear();
  c.bytes = 0;
}

}  // namespace qkv::block_cache
