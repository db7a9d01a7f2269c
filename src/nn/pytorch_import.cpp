#include "nn/pytorch_import.h"

#include <string_view>

#include "core/view.h"

namespace qkv::nn {

namespace {

// The prefix ("encoder.layers.0.self_attn.") when name ends with suffix.
bool split_suffix(const std::string& name, std::string_view suffix, std::string& prefix) {
  if (name.size() < suffix.size() ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  prefix = name.substr(0, name.size() - suffix.size());
  return true;
}

void put(StateDict& out, const std::string& name, const Tensor& t) {
  check(out.emplace(name, view::clone(t)).second, "from_pytorch: two entries map to ", name);
}

}  // namespace

StateDict from_pytorch(const StateDict& torch_state) {
  StateDict out;
  for (const auto& [name, t] : torch_state) {
    std::string p;
    if (split_suffix(name, "in_proj_weight", p) || split_suffix(name, "in_proj_bias", p)) {
      const bool weight = name.ends_with("weight");
      check(t.dim() == (weight ? 2 : 1) && t.size(0) % 3 == 0, "from_pytorch: ", name,
            " has shape ", t.shape(), "; expected ", weight ? "[3d, d]" : "[3d]");
      const std::int64_t d = t.size(0) / 3;
      const char* parts[] = {"q_proj.", "k_proj.", "v_proj."};
      for (int i = 0; i < 3; ++i)
        put(out, p + parts[i] + (weight ? "weight" : "bias"), view::narrow(t, 0, i * d, d));
    } else if (split_suffix(name, "q_proj_weight", p) || split_suffix(name, "k_proj_weight", p) ||
               split_suffix(name, "v_proj_weight", p)) {
      put(out, p + name.substr(p.size(), 6) + ".weight", t);
    } else if (split_suffix(name, "bias_k", p) || split_suffix(name, "bias_v", p)) {
      fail("from_pytorch: ", name, " (nn.MultiheadAttention with add_bias_kv) is not supported");
    } else {
      put(out, name, t);
    }
  }
  return out;
}

}  // namespace qkv::nn
