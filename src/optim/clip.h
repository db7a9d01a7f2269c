#pragma once
// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_.

#include <vector>

#include "core/tensor.h"

namespace qkv::optim {

// Returns the L2 norm of all defined gradients of `params` taken together
// (before clipping). When norm + 1e-6 exceeds max_norm the gradients are
// scaled in place by max_norm / (norm + 1e-6), PyTorch's coefficient (the 1e-6
// guards a zero norm and leaves the clipped norm just under max_norm). A NaN
// or infinite norm throws qkv::Error and leaves the gradients untouched:
// training must stop.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace qkv::optim
