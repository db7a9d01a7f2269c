#pragma once
// The one mapping from PyTorch state-dict names to qkv's. qkv's layers take
// PyTorch's names wherever a PyTorch module exists (linear1, norm1, out_proj,
// ...), so most entries pass through unchanged. nn.MultiheadAttention is the
// exception: it packs its input projections, and qkv keeps them apart so that
// grouped-query attention (fewer key/value heads) has the same names:
//   P.in_proj_weight [3d, d] -> P.q_proj.weight, P.k_proj.weight, P.v_proj.weight
//                               (rows [0, d), [d, 2d), [2d, 3d))
//   P.in_proj_bias [3d]      -> P.q_proj.bias, P.k_proj.bias, P.v_proj.bias
//   P.q_proj_weight, P.k_proj_weight, P.v_proj_weight (kdim or vdim != d)
//                            -> P.q_proj.weight, P.k_proj.weight, P.v_proj.weight
//   P.out_proj.weight, P.out_proj.bias unchanged.
// PyTorch's add_bias_kv (P.bias_k, P.bias_v) has no qkv counterpart and is refused.

#include "nn/module.h"

namespace qkv::nn {

// A new dict with qkv's names; the tensors are copies, so the result does not
// alias the input. Throws qkv::Error naming the entry it cannot map.
StateDict from_pytorch(const StateDict& torch_state);

}  // namespace qkv::nn
