#include "core/storage.h"

#include <cstdlib>
#include <new>

namespace qkv {

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
  constexpr std::size_t kAlign = 64;
  std::size_t rounded = (nbytes + kAlign - 1) / kAlign * kAlign;
  if (rounded == 0) rounded = kAlign;
  data_ = std::aligned_alloc(kAlign, rounded);
  if (!data_) throw std::bad_alloc();
}

Storage::~Storage() { std::free(data_); }

}  // namespace qkv
