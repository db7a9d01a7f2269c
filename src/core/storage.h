#pragma once
// Storage owns the bytes of one or more tensors; views share it through shared_ptr.

#include <cstddef>
#include <memory>

namespace qkv {

class Storage {
 public:
  // 64-byte aligned (2 MiB and huge-page backed from 8 MiB up), uninitialised;
  // large buffers come from and go back to core/block_cache.h.
  explicit Storage(std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace qkv
