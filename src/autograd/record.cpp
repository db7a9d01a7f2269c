#include "autograd/record.h"

#include "autograd/grad_mode.h"

namespace qkv::autograd {

bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const auto& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

void record(std::string name, const std::vector<Tensor>& outputs,
            const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!needs_graph(inputs)) return;
  std::vector<Edge> edges;
  std::vector<Shape> shapes;
  for (const auto& t : inputs) {
    Edge e;
    if (t.requires_grad()) {
      if (t.grad_fn()) {
        e.node = t.grad_fn();
        e.output_nr = t.impl().output_nr;
      } else {
        e.leaf = t.impl_ptr();
      }
    }
    edges.push_back(std::move(e));
    shapes.push_back(t.defined() ? t.shape() : Shape{});
  }
  std::vector<OutputMeta> metas;
  for (const auto& o : outputs) metas.push_back({o.shape(), o.dtype()});
  auto node = std::make_shared<Node>(std::move(name), std::move(backward), std::move(edges),
                                     std::move(shapes), std::move(metas));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    TensorImpl& impl = outputs[i].impl();
    impl.requires_grad = true;
    impl.grad_fn = node;
    impl.output_nr = static_cast<int>(i);
  }
}

}  // namespace qkv::autograd
