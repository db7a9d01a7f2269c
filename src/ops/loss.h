#pragma once
// Loss functions.

#include <cstdint>

#include "core/tensor.h"

namespace qkv {

enum class Reduction { none, mean, sum };

struct CrossEntropyOptions {
  // Targets equal to this contribute nothing and are not counted in the mean.
  std::int64_t ignore_index = -100;
  // Mixes the one-hot target with the uniform distribution (Szegedy et al. 2016),
  // as torch.nn.functional.cross_entropy's label_smoothing.
  double label_smoothing = 0;
  Reduction reduction = Reduction::mean;
};

// logits [N, C] (or [.., C]), targets int64 [N] (or [..]).
Tensor cross_entropy(const Tensor& logits, const Tensor& targets,
                     const CrossEntropyOptions& options = {});

// Mean (or sum) of squared differences.
Tensor mse_loss(const Tensor& prediction, const Tensor& target,
                Reduction reduction = Reduction::mean);

}  // namespace qkv
