#pragma once
// An indexed list of child modules of one type, named "0", "1", ... in the
// state dict (as torch.nn.ModuleList): "layers.3.self_attn.q_proj.weight".

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace qkv::nn {

template <class M>
class ModuleList : public Module {
 public:
  ModuleList() = default;

  void push_back(std::shared_ptr<M> module) {
    items_.push_back(register_module(std::to_string(items_.size()), std::move(module)));
  }
  std::int64_t size() const { return static_cast<std::int64_t>(items_.size()); }
  M& operator[](std::int64_t i) const {
    check(i >= 0 && i < size(), "ModuleList: index ", i, " out of range for ", size(), " modules");
    return *items_[i];
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

  std::string name() const override { return "ModuleList"; }
  std::string extra_repr() const override { return "size=" + std::to_string(items_.size()); }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace qkv::nn
