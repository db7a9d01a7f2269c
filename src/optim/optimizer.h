#pragma once
// Optimizer: updates a fixed list of parameters (leaf tensors that require a
// gradient) from their .grad(), in place and outside the autograd graph.
// Takes plain tensors, not modules, so anything with parameters can be trained.
//
// Per-parameter state (moment estimates, momentum buffers) is created on a
// parameter's first update and saved by state_dict() under stable names:
//   "step"                  int64 scalar: how many times step() has run
//   "state.<i>.<name>"      parameter i's buffer `name` (same shape and dtype
//                           as the parameter) or its int64 scalar "step"
// which is what a checkpoint stores to resume training exactly.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qkv::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter whose gradient is defined; parameters without a
  // gradient are skipped and their state is left as it was.
  virtual void step();
  // Drops every gradient (set_to_none) or fills the existing ones with zeros.
  void zero_grad(bool set_to_none = true);

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  std::int64_t step_count() const { return step_count_; }

  // The tensors share storage with the live state (as in PyTorch): save them
  // before the next step(), or clone them to keep a snapshot.
  std::map<std::string, Tensor> state_dict() const;
  // Replaces the state with copies of `state`, after checking all of it: every
  // key known, every buffer of the right shape and dtype, each parameter's
  // buffers complete. Throws qkv::Error naming the first problem.
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // `name` ("SGD", "Adam", ...) prefixes error messages.
  Optimizer(std::vector<Tensor> params, double lr, std::string name);

  // The names of the state one parameter carries once it has been updated
  // ("step" stands for an int64 scalar, any other name for a buffer shaped
  // like the parameter).
  virtual std::vector<std::string> state_names() const = 0;
  // Updates params()[i] from its gradient `grad` (dense, same shape and
  // dtype). Runs with gradient recording off.
  virtual void update(std::size_t i, const Tensor& grad) = 0;

  // Parameter i's state; empty until its first update.
  std::map<std::string, Tensor>& state(std::size_t i) { return state_[i]; }
  const std::string& name() const { return name_; }
  // Throws unless lr is finite and >= 0.
  void check_lr(double lr) const;

 private:
  std::vector<Tensor> params_;
  std::vector<std::map<std::string, Tensor>> state_;
  double lr_;
  std::string name_;
  std::int64_t step_count_ = 0;
};

}  // namespace qkv::optim
