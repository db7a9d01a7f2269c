#pragma once
// Reverse-mode differentiation over the graph recorded by ops.

#include "core/tensor.h"

namespace qkv::autograd {

struct BackwardOptions {
  // Keep saved tensors so backward can run through the same graph again.
  bool retain_graph = false;
};

// Accumulates d(root)/d(leaf) into the .grad() of every leaf that requires a
// gradient. `grad` seeds the root's gradient; it may be omitted only for a
// one-element root (then it is 1).
void backward(const Tensor& root, const Tensor& grad = Tensor(), BackwardOptions options = {});

// A tensor sharing t's data but cut from the graph.
Tensor detach(const Tensor& t);

}  // namespace qkv::autograd
