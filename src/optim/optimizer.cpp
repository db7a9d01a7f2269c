#include "optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"

namespace qkv::optim {

namespace {

// Splits "state.<i>.<name>" into (i, name); false for any other form.
bool parse_state_key(const std::string& key, std::size_t& index, std::string& name) {
  const std::string prefix = "state.";
  if (key.compare(0, prefix.size(), prefix) != 0) return false;
  const std::size_t dot = key.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size() || dot + 1 == key.size()) return false;
  const std::string digits = key.substr(prefix.size(), dot - prefix.size());
  if (digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return false;
  index = std::stoul(digits);
  name = key.substr(dot + 1);
  return true;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : "|") + n;
  return s;
}

bool is_int_scalar(const Tensor& t) { return t.dtype() == DType::i64 && t.dim() == 0; }

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr, std::string name)
    : params_(std::move(params)), state_(params_.size()), lr_(lr), name_(std::move(name)) {
  check(!params_.empty(), name_, ": got an empty parameter list");
  check_lr(lr);
  std::set<const TensorImpl*> seen;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    check(p.defined(), name_, ": parameter ", i, " is an undefined tensor");
    check(p.dtype() == DType::f32 || p.dtype() == DType::f64, name_, ": parameter ", i,
          " has dtype ", dtype_name(p.dtype()), "; expected float32 or float64");
    check(p.is_leaf() && p.requires_grad(), name_, ": parameter ", i, " of shape ", p.shape(),
          " must be a leaf tensor that requires a gradient");
    check(p.is_contiguous(), name_, ": parameter ", i, " of shape ", p.shape(),
          " must be contiguous (strides ", p.strides(), ")");
    check(seen.insert(&p.impl()).second, name_, ": parameter ", i,
          " appears more than once in the parameter list");
  }
}

void Optimizer::check_lr(double lr) const {
  check(std::isfinite(lr) && lr >= 0, name_, ": invalid learning rate ", lr,
        "; expected a finite value >= 0");
}

void Optimizer::set_lr(double lr) {
  check_lr(lr);
  lr_ = lr;
}

void Optimizer::step() {
  autograd::NoGradGuard no_grad;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    check(g.dtype() == p.dtype(), name_, ": gradient of parameter ", i, " has dtype ",
          dtype_name(g.dtype()), " but the parameter has dtype ", dtype_name(p.dtype()));
    update(i, view::contiguous(g));
  }
  ++step_count_;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (const Tensor& p : params_) {
    if (set_to_none)
      p.set_grad(Tensor());
    else if (p.grad().defined())
      fill_(p.grad(), 0.0);
  }
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  out["step"] = scalar_tensor(static_cast<double>(step_count_), DType::i64);
  for (std::size_t i = 0; i < state_.size(); ++i)
    for (const auto& [key, t] : state_[i]) out["state." + std::to_string(i) + "." + key] = t;
  return out;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  const std::vector<std::string> names = state_names();
  const std::string expected =
      "'step' or 'state.<index>.<" + (names.empty() ? std::string("none") : join(names)) + ">'";

  auto step_it = state.find("step");
  check(step_it != state.end(), name_, " state: missing key 'step'");
  check(is_int_scalar(step_it->second), name_, " state: 'step' must be an int64 scalar, got dtype ",
        dtype_name(step_it->second.dtype()), " shape ", step_it->second.shape());
  const auto step_count = step_it->second.item<std::int64_t>();
  check(step_count >= 0, name_, " state: 'step' is ", step_count, "; expected >= 0");

  std::vector<std::map<std::string, Tensor>> loaded(params_.size());
  for (const auto& [key, t] : state) {
    if (key == "step") continue;
    std::size_t i = 0;
    std::string n;
    check(parse_state_key(key, i, n), name_, " state: unknown key '", key, "'; expected ",
          expected);
    check(std::find(names.begin(), names.end(), n) != names.end(), name_, " state: unknown key '",
          key, "'; expected ", expected);
    check(i < params_.size(), name_, " state: key '", key, "' is for parameter ", i,
          " but the optimizer has ", params_.size(), " parameters");
    check(t.defined(), name_, " state: '", key, "' is an undefined tensor");
    const Tensor& p = params_[i];
    if (n == "step") {
      check(is_int_scalar(t), name_, " state: '", key, "' must be an int64 scalar, got dtype ",
            dtype_name(t.dtype()), " shape ", t.shape());
      check(t.item<std::int64_t>() >= 0, name_, " state: '", key, "' is ", t.item<std::int64_t>(),
            "; expected >= 0");
    } else {
      check(t.shape() == p.shape(), name_, " state: '", key, "' has shape ", t.shape(),
            " but parameter ", i, " has shape ", p.shape());
      check(t.dtype() == p.dtype(), name_, " state: '", key, "' has dtype ", dtype_name(t.dtype()),
            " but parameter ", i, " has dtype ", dtype_name(p.dtype()));
    }
    loaded[i][n] = view::clone(t);
  }
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    if (loaded[i].empty()) continue;
    for (const auto& n : names)
      check(loaded[i].count(n) == 1, name_, " state: 'state.", i, ".", n,
            "' is missing while parameter ", i, " has '", loaded[i].begin()->first, "'");
  }
  state_ = std::move(loaded);
  step_count_ = step_count;
}

}  // namespace qkv::optim
