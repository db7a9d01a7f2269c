#include "autograd/node.h"

namespace qkv::autograd {

Node::Node(std::string name, BackwardFn fn, std::vector<Edge> inputs,
           std::vector<Shape> input_shapes, std::vector<OutputMeta> outputs)
    : name_(std::move(name)),
      fn_(std::move(fn)),
      inputs_(std::move(inputs)),
      input_shapes_(std::move(input_shapes)),
      outputs_(std::move(outputs)) {
  for (const auto& e : inputs_) needs_.push_back(e.active());
}

std::vector<Tensor> Node::apply(const std::vector<Tensor>& grad_outputs, bool retain) {
  check(fn_ != nullptr, name_,
        ": backward through the graph a second time (its saved tensors were freed; pass "
        "retain_graph to the first backward)");
  std::vector<Tensor> grads = fn_(BackwardContext{grad_outputs, needs_});
  if (!retain) fn_ = nullptr;
  check(grads.size() == inputs_.size(), name_, ": backward returned ", grads.size(),
        " gradients for ", inputs_.size(), " inputs");
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!needs_[i] || !grads[i].defined()) continue;
    check(grads[i].shape() == input_shapes_[i], name_, ": gradient ", i, " has shape ",
          grads[i].shape(), ", input has shape ", input_shapes_[i]);
  }
  return grads;
}

}  // namespace qkv::autograd
