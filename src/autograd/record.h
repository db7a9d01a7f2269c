#pragma once
// How an op joins the graph: after computing its outputs without gradients, it
// calls record() with its inputs and a backward function. Nothing is recorded
// when grad mode is off or no input requires a gradient.

#include <string>
#include <vector>

#include "autograd/node.h"

namespace qkv::autograd {

// True when grad mode is on and some input requires a gradient.
bool needs_graph(const std::vector<Tensor>& inputs);

// Attaches a node to `outputs` (which must be fresh tensors, not views of inputs).
void record(std::string name, const std::vector<Tensor>& outputs,
            const std::vector<Tensor>& inputs, BackwardFn backward);

// Single-output form; returns `output` for chaining.
inline Tensor record(std::string name, const Tensor& output, const std::vector<Tensor>& inputs,
                     BackwardFn backward) {
  record(std::move(name), std::vector<Tensor>{output}, inputs, std::move(backward));
  return output;
}

}  // namespace qkv::autograd
