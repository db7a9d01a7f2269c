#pragma once
// The ops-level AttentionMask (ops/attention.h) checked against the scores'
// shape [B, h, Tq, Tk] and turned into the kernels' form. Internal to ops/.

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "kernels/attention.h"
#include "ops/attention.h"

namespace qkv::detail {

struct ScoreDims {
  std::int64_t batch, heads, q_len, k_len;
};

// Owns what the kernel mask points into, so it is neither copied nor moved:
// hold it by shared_ptr. Key lengths [B] stay lengths; lengths per query row
// [B, Tq] and key_valid are folded into `allowed`. `allowed` (as bytes) and `additive` (as T)
// are dense at their own shapes, left-padded to rank 4, with stride 0 along the
// dims they broadcast over.
template <class T>
class KernelMask {
 public:
  KernelMask(const AttentionMask& mask, const ScoreDims& dims, const char* op);
  KernelMask(const KernelMask&) = delete;
  KernelMask& operator=(const KernelMask&) = delete;

  const kernels::AttentionMask<T>& get() const { return mask_; }

 private:
  kernels::AttentionMask<T> mask_;
  std::vector<std::int64_t> lengths_;
  std::vector<std::uint8_t> allowed_;
  Tensor additive_;  // dense, of dtype T
};

}  // namespace qkv::detail
