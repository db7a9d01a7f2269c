#pragma once
// Row lookup into a table weight [V, d] and its backward, a scatter-add.
// Ids must lie in [0, V) (the op checks; the kernels do not).

#include <cstdint>

namespace qkv::kernels {

// out[i, :] = weight[ids[i], :] for ids [n] -> out [n, d].
template <class T>
void embedding_forward(std::int64_t n, std::int64_t d, const std::int64_t* ids, const T* weight,
                       T* out);

// dweight [V, d] = 0, then dweight[ids[i], :] += dy[i, :] for every i with
// ids[i] != skip_id (pass -1 to skip none). Each thread owns a block of table
// rows and adds into them in the order of i, so the result does not depend on
// the thread count.
template <class T>
void embedding_backward(std::int64_t n, std::int64_t d, std::int64_t vocab, const std::int64_t* ids,
                        const T* dy, std::int64_t skip_id, T* dweight);

namespace ref {
template <class T>
void embedding_forward(std::int64_t n, std::int64_t d, const std::int64_t* ids, const T* weight,
                       T* out);
template <class T>
void embedding_backward(std::int64_t n, std::int64_t d, std::int64_t vocab, const std::int64_t* ids,
                        const T* dy, std::int64_t skip_id, T* dweight);
}  // namespace ref

}  // namespace qkv::kernels
