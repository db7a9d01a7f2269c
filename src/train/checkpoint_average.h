#pragma once
// Checkpoint averaging: the element-wise mean of a model's weights at the ends
// of its last few epochs. Late in training the weights wander around a minimum
// that none of them sits in; their mean usually lies closer to it and
// translates a little better than any one of them (Vaswani et al. 2017 average
// the last 5 or 20 checkpoints). `qkv average` runs it on the epoch weights a
// run kept (training.keep_epochs, train/run_directory.h).

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qkv::train {

// The mean of each tensor over the checkpoints, in the tensors' own dtype
// (accumulated in float64). Every file must hold the same names with the same
// dtypes and shapes; integer tensors must be equal in all of them. Throws
// qkv::Error naming the file and tensor at fault.
std::map<std::string, Tensor> average_checkpoints(const std::vector<std::filesystem::path>& files);

}  // namespace qkv::train
