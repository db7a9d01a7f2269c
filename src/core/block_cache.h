#pragma once
// A cache of large freed buffers for Storage. Training allocates the same
// activations and gradients step after step; handing each back to the kernel
// and faulting it in again page by page cost about 5% of a Transformer
// training step. Freed buffers of 256 KiB and up are kept, by size class, and
// reused by the next allocation of that class; small buffers go straight to
// malloc, which caches them itself.

#include <cstddef>

namespace qkv::block_cache {

// At least `nbytes` bytes, 64-byte aligned (2 MiB aligned and marked for huge
// pages from 8 MiB up); *capacity receives the block's real size, to be given
// back to release(). Throws std::bad_alloc.
void* allocate(std::size_t nbytes, std::size_t* capacity);
// Returns a block: kept for reuse while the cache holds at most its limit,
// freed otherwise.
void release(void* block, std::size_t capacity);

// Bytes held in the cache, not in use.
std::size_t cached_bytes();
// Frees every cached block.
void clear();

}  // namespace qkv::block_cache
