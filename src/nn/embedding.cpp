#include "nn/embedding.h"

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"
#include "ops/embedding.h"

namespace qkv::nn {

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t dim,
                     std::optional<std::int64_t> padding_idx, Generator& gen) {
  check(num_embeddings > 0 && dim > 0, "Embedding: sizes must be positive, got ", num_embeddings,
        " x ", dim);
  if (padding_idx) {
    const std::int64_t p = *padding_idx;
    check(p >= -num_embeddings && p < num_embeddings, "Embedding: padding_idx ", p,
          " is outside the table of ", num_embeddings, " rows");
    padding_idx_ = p < 0 ? p + num_embeddings : p;
  }
  Tensor w = randn({num_embeddings, dim}, DType::f32, gen);
  if (padding_idx_) fill_(view::select(w, 0, *padding_idx_), 0);
  weight_ = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& ids) const { return embedding(ids, weight_, padding_idx_); }

std::string Embedding::extra_repr() const {
  std::string s = std::to_string(num_embeddings()) + ", " + std::to_string(dim());
  if (padding_idx_) s += ", padding_idx=" + std::to_string(*padding_idx_);
  return s;
}

}  // namespace qkv::nn
