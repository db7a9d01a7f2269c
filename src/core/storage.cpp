#include "core/storage.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace qkv {

namespace {

// Large buffers are fresh memory from the kernel on every allocation, and
// touching them 4 KiB page by page cost more than the kernels that fill them
// (softmax over [16384 x 8000] ran 3x slower). Aligned to 2 MiB and marked for
// transparent huge pages, they fault in 2 MiB at a time.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugeFrom = 4 * kHugePage;

}  // namespace

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
  const std::size_t align = nbytes >= kHugeFrom ? kHugePage : 64;
  std::size_t rounded = (nbytes + align - 1) / align * align;
  if (rounded == 0) rounded = align;
  data_ = std::aligned_alloc(align, rounded);
  if (!data_) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  // Advice only: where huge pages are off, the memory is simply not huge.
  if (align == kHugePage) madvise(data_, rounded, MADV_HUGEPAGE);
#endif
}

Storage::~Storage() { std::free(data_); }

}  // namespace qkv
