#include "core/storage.h"

#include "core/block_cache.h"

namespace qkv {

Storage::Storage(std::size_t nbytes) : nbytes_(nbytes) {
  data_ = block_cache::allocate(nbytes, &capacity_);
}

Storage::~Storage() { block_cache::release(data_, capacity_); }

}  // namespace qkv
