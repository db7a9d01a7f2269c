#include "nn/module.h"

#include <set>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/view.h"

namespace qkv::nn {

std::string LoadReport::to_string() const {
  std::ostringstream os;
  const char* sep = "";
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    os << sep << what << ": ";
    for (std::size_t i = 0; i < names.size(); ++i) os << (i ? ", " : "") << names[i];
    sep = "; ";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  if (!mismatched.empty()) {
    os << sep << "mismatched: ";
    for (std::size_t i = 0; i < mismatched.size(); ++i) {
      const auto& m = mismatched[i];
      os << (i ? ", " : "") << m.name << " (expected " << m.expected_shape << " "
         << dtype_name(m.expected_dtype) << ", got " << m.got_shape << " "
         << dtype_name(m.got_dtype) << ")";
    }
  }
  return os.str();
}

void Module::check_new_name(const std::string& name, const char* kind) const {
  check(!name.empty() && name.find('.') == std::string::npos, this->name(), ": ", kind, " name '",
        name, "' must be non-empty and contain no '.'");
  bool taken = false;
  for (const auto& [n, t] : parameters_) taken = taken || n == name;
  for (const auto& b : buffers_) taken = taken || b.name == name;
  for (const auto& [n, c] : children_) taken = taken || n == name;
  check(!taken, this->name(), ": the name '", name, "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name, "parameter");
  check(t.defined() && is_floating(t.dtype()) && t.is_leaf(), this->name(), ": parameter '", name,
        "' must be a defined floating leaf tensor");
  t.set_requires_grad(true);
  parameters_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t, bool persistent) {
  check_new_name(name, "buffer");
  check(t.defined(), this->name(), ": buffer '", name, "' is undefined");
  buffers_.push_back({name, t, persistent});
  return t;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name, "module");
  check(module != nullptr, this->name(), ": module '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

template <class F>
void Module::visit_parameters(const std::string& prefix, F&& f) const {
  for (const auto& [n, t] : parameters_) f(prefix + n, t);
  for (const auto& [n, c] : children_) c->visit_parameters(prefix + n + ".", f);
}

template <class F>
void Module::visit_buffers(const std::string& prefix, F&& f) const {
  for (const auto& b : buffers_) f(prefix + b.name, b.tensor, b.persistent);
  for (const auto& [n, c] : children_) c->visit_buffers(prefix + n + ".", f);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<const TensorImpl*> seen;
  visit_parameters("", [&](const std::string& n, const Tensor& t) {
    if (seen.insert(t.impl_ptr().get()).second) out.emplace_back(n, t);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_buffers("", [&](const std::string& n, const Tensor& t, bool) { out.emplace_back(n, t); });
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [n, c] : children_) out.push_back(c);
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (const auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad() {
  visit_parameters("", [](const std::string&, const Tensor& t) { t.set_grad(Tensor()); });
}

void Module::to(DType dtype) {
  // Repoints each tensor's shared impl at converted data, so every handle to
  // it (subclass members, optimizers) follows.
  auto convert = [dtype](const Tensor& t) {
    if (t.dtype() == dtype) return;
    const Tensor c = view::to_dtype(t, dtype);
    TensorImpl& impl = t.impl();
    impl.storage = c.storage();
    impl.strides = c.strides();
    impl.offset = c.offset();
    impl.dtype = dtype;
    impl.grad.reset();
  };
  check(is_floating(dtype), name(), ".to: parameters must be floating, got ", dtype_name(dtype));
  visit_parameters("", [&](const std::string&, const Tensor& t) { convert(t); });
  visit_buffers("", [&](const std::string&, const Tensor& t, bool) {
    if (is_floating(t.dtype())) convert(t);
  });
}

StateDict Module::state_dict() const {
  StateDict out;
  visit_parameters(
      "", [&](const std::string& n, const Tensor& t) { out.emplace(n, autograd::detach(t)); });
  visit_buffers("", [&](const std::string& n, const Tensor& t, bool persistent) {
    if (persistent) out.emplace(n, autograd::detach(t));
  });
  return out;
}

LoadReport Module::load_state_dict(const StateDict& dict, bool strict) {
  LoadReport report;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  std::set<std::string> expected;
  auto match = [&](const std::string& n, const Tensor& t) {
    expected.insert(n);
    const auto it = dict.find(n);
    if (it == dict.end() || !it->second.defined()) {
      report.missing.push_back(n);
    } else if (it->second.shape() != t.shape() || it->second.dtype() != t.dtype()) {
      report.mismatched.push_back(
          {n, t.shape(), it->second.shape(), t.dtype(), it->second.dtype()});
    } else {
      copies.emplace_back(t, it->second);
    }
  };
  visit_parameters("", match);
  visit_buffers("", [&](const std::string& n, const Tensor& t, bool persistent) {
    if (persistent) match(n, t);
  });
  for (const auto& [n, t] : dict)
    if (!expected.count(n)) report.unexpected.push_back(n);
  if (strict && !report.ok()) fail(name(), ".load_state_dict: ", report.to_string());
  autograd::NoGradGuard no_grad;
  for (const auto& [dst, src] : copies) view::copy_into(dst, src);
  return report;
}

void Module::print(std::string& out, int indent) const {
  const std::string pad(indent, ' ');
  auto line = [&](const std::string& n, const Tensor& t, const char* kind) {
    std::ostringstream os;
    os << pad << "  " << n << " " << t.shape() << " " << dtype_name(t.dtype()) << kind << "\n";
    out += os.str();
  };
  for (const auto& [n, t] : parameters_) line(n, t, "");
  for (const auto& b : buffers_)
    line(b.name, b.tensor, b.persistent ? " (buffer)" : " (buffer, not saved)");
  for (const auto& [n, c] : children_) {
    out += pad + "  (" + n + "): " + c->name() + "(" + c->extra_repr() + ")\n";
    c->print(out, indent + 2);
  }
}

std::string Module::to_string() const {
  std::string out = name() + "(" + extra_repr() + ")\n";
  print(out, 0);
  return out;
}

}  // namespace qkv::nn
