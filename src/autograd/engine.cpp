#include "autograd/engine.h"

#include <unordered_map>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "core/creation.h"
#include "core/view.h"

namespace qkv::autograd {

namespace {

// dst += src elementwise; both dense and of one floating dtype.
void add_into(const Tensor& dst, const Tensor& src) {
  Tensor s = view::to_dtype(src, dst.dtype());
  const std::int64_t n = dst.numel();
  dispatch_floating(dst.dtype(), "gradient accumulation", [&]<class T>() {
    T* d = dst.data<T>();
    const T* p = s.data<T>();
#pragma omp parallel for if (n > 65536)
    for (std::int64_t i = 0; i < n; ++i) d[i] += p[i];
  });
}

// Sums gradients reaching the same place; the first is kept without copying.
void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
    return;
  }
  Tensor sum = view::clone(slot);
  add_into(sum, g);
  slot = sum;
}

// The first gradient of a leaf becomes its .grad. A fresh gradient that nothing
// else can see (this handle is the only one on its bytes) is taken as it is;
// anything shared is copied, so later writes elsewhere cannot reach .grad.
void accumulate_leaf(TensorImpl& leaf, const Tensor& g) {
  if (!leaf.grad) {
    const bool exclusive = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1;
    leaf.grad = exclusive && g.dtype() == leaf.dtype && g.is_contiguous()
                    ? Tensor::view_of(g.storage(), g.shape(), g.strides(), g.offset(), g.dtype())
                          .impl_ptr()
                    : view::to_dtype(view::clone(g), leaf.dtype).impl_ptr();
    return;
  }
  add_into(Tensor(leaf.grad), g);
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad, BackwardOptions options) {
  check(root.requires_grad(), "backward: the tensor does not require a gradient");
  Tensor seed = grad;
  if (!seed.defined()) {
    check(root.numel() == 1, "backward: a gradient must be given for a non-scalar tensor of shape ",
          root.shape());
    seed = ones(root.shape(), root.dtype());
  }
  check(seed.shape() == root.shape(), "backward: gradient of shape ", seed.shape(),
        " for a tensor of shape ", root.shape());
  check(is_floating(seed.dtype()), "backward: gradient of dtype ", dtype_name(seed.dtype()),
        " for a ", dtype_name(root.dtype()), " tensor");
  // Backward functions see gradients of their outputs' dtype.
  seed = view::to_dtype(seed, root.dtype());
  NoGradGuard no_grad;
  if (root.is_leaf()) {
    accumulate_leaf(root.impl(), seed);
    return;
  }

  // Count, for every reachable node, how many edges lead into it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{root.grad_fn().get()};
  deps[root.grad_fn().get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const auto& e : n->inputs()) {
      if (!e.node) continue;
      auto [it, inserted] = deps.try_emplace(e.node.get(), 0);
      ++it->second;
      if (inserted) stack.push_back(e.node.get());
    }
  }

  std::unordered_map<Node*, std::vector<Tensor>> pending;
  pending[root.grad_fn().get()].resize(root.grad_fn()->outputs().size());
  pending[root.grad_fn().get()][root.impl().output_nr] = seed;
  std::vector<Node*> ready{root.grad_fn().get()};
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    std::vector<Tensor> grads = std::move(pending[n]);
    pending.erase(n);
    grads.resize(n->outputs().size());
    for (std::size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined()) grads[i] = zeros(n->outputs()[i].shape, n->outputs()[i].dtype);
    std::vector<Tensor> input_grads = n->apply(grads, options.retain_graph);
    for (std::size_t i = 0; i < n->inputs().size(); ++i) {
      const Edge& e = n->inputs()[i];
      const Tensor& g = input_grads[i];
      if (e.leaf && g.defined()) accumulate_leaf(*e.leaf, g);
      if (!e.node) continue;
      if (g.defined()) {
        auto& slot = pending[e.node.get()];
        slot.resize(e.node->outputs().size());
        accumulate(slot[e.output_nr], g);
      }
      if (--deps[e.node.get()] == 0) ready.push_back(e.node.get());
    }
  }
}

Tensor detach(const Tensor& t) {
  return Tensor::view_of(t.storage(), t.shape(), t.strides(), t.offset(), t.dtype());
}

}  // namespace qkv::autograd
