#pragma once
// A node of the backward graph: the backward function of one op call, and the
// edges to where each input's gradient goes (the node that produced it, or the
// leaf tensor that accumulates it).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qkv::autograd {

struct Edge {
  std::shared_ptr<Node> node;         // producer of the input, or null
  int output_nr = 0;                  // which output of that producer
  std::shared_ptr<TensorImpl> leaf;   // leaf that accumulates the gradient, or null
  bool active() const { return node || leaf; }
};

// What a backward function sees: the gradient of each output (never undefined;
// zeros where an output got none) and which inputs need a gradient.
struct BackwardContext {
  const std::vector<Tensor>& grad_outputs;
  const std::vector<bool>& needs_input_grad;
  const Tensor& grad() const { return grad_outputs[0]; }
  bool needs(std::size_t i) const { return needs_input_grad[i]; }
};

// Returns one gradient per input, each of the input's shape, or undefined for
// inputs that need none.
using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&)>;

struct OutputMeta {
  Shape shape;
  DType dtype;
};

class Node {
 public:
  Node(std::string name, BackwardFn fn, std::vector<Edge> inputs, std::vector<Shape> input_shapes,
       std::vector<OutputMeta> outputs);
  const std::string& name() const { return name_; }
  const std::vector<Edge>& inputs() const { return inputs_; }
  const std::vector<OutputMeta>& outputs() const { return outputs_; }
  // Runs the backward function and checks the shapes it returns. Unless
  // `retain`, the saved tensors are released afterwards.
  std::vector<Tensor> apply(const std::vector<Tensor>& grad_outputs, bool retain);

 private:
  std::string name_;
  BackwardFn fn_;
  std::vector<Edge> inputs_;
  std::vector<Shape> input_shapes_;
  std::vector<OutputMeta> outputs_;
  std::vector<bool> needs_;
};

}  // namespace qkv::autograd
