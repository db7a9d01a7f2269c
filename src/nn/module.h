#pragma once
// Module: the base of every layer and model. A module owns named parameters
// (tensors that require gradients), buffers (state that is not trained) and
// child modules; their dotted paths ("encoder.layers.0.self_attn.q_proj.weight")
// are the keys of the state dict, as in PyTorch, so weights map 1:1.
//
// Subclasses register everything in their constructor and keep the returned
// handles: a Tensor is a handle, so the member and the registry share one tensor,
// and load_state_dict() and to() change it in place for both (and for an
// optimizer that holds it).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace qkv::nn {

using StateDict = std::map<std::string, Tensor>;

// What load_state_dict() found: names the module has but the dict lacks, names
// the dict has but the module lacks, and tensors of the wrong shape or dtype.
struct LoadReport {
  struct Mismatch {
    std::string name;
    Shape expected_shape, got_shape;
    DType expected_dtype, got_dtype;
  };
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  std::vector<Mismatch> mismatched;

  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // Every problem by name, on one line.
  std::string to_string() const;
};

class Module {
 public:
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The type's name for printing, e.g. "Linear".
  virtual std::string name() const = 0;
  // Its settings for printing, e.g. "in=4, out=8, bias=true".
  virtual std::string extra_repr() const { return ""; }

  // Own and descendant parameters in registration order, own first, each tensor
  // once (a tensor shared by two modules keeps its first name).
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  // Own and descendant buffers, persistent or not.
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  std::vector<std::shared_ptr<Module>> children() const;
  // Number of parameter elements (shared tensors counted once).
  std::int64_t num_parameters() const;

  // Training mode (dropout active) for this module and all descendants.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops every parameter's gradient (leaves it undefined, as PyTorch's
  // zero_grad(set_to_none=True)): the next backward writes a fresh one.
  void zero_grad();

  // Converts every parameter and floating buffer to dtype in place: the
  // existing handles see the new values. Gradients are dropped.
  void to(DType dtype);

  // Parameters and persistent buffers by dotted name, detached from the graph;
  // the tensors share storage with the module's.
  StateDict state_dict() const;
  // Copies the dict's values into the module's existing tensors. Every problem
  // is collected; with `strict` any problem throws one Error naming them all
  // and nothing is loaded, otherwise the matching entries are loaded and the
  // report returned.
  LoadReport load_state_dict(const StateDict& dict, bool strict = true);

  // The module tree with each parameter's and buffer's shape and dtype.
  std::string to_string() const;

 protected:
  Module() = default;

  // Registers t under name and marks it as requiring a gradient; returns t.
  Tensor register_parameter(const std::string& name, Tensor t);
  // Registers state that is not trained; persistent buffers join the state dict.
  Tensor register_buffer(const std::string& name, Tensor t, bool persistent = true);
  // Registers a child module; returns it, typed, for the caller to keep.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  struct Buffer {
    std::string name;
    Tensor tensor;
    bool persistent;
  };

  void check_new_name(const std::string& name, const char* kind) const;
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  // Visits own then descendant entries with dotted names.
  template <class F>
  void visit_parameters(const std::string& prefix, F&& f) const;
  template <class F>
  void visit_buffers(const std::string& prefix, F&& f) const;
  void print(std::string& out, int indent) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<Buffer> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace qkv::nn
