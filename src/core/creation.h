#pragma once
// Functions that make new tensors.

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace qkv {

Tensor zeros(const Shape& shape, DType dtype = DType::f32);
Tensor ones(const Shape& shape, DType dtype = DType::f32);
Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
// [start, end) in steps of step, like torch.arange: throws when the step is 0
// or points away from end.
Tensor arange(double start, double end, double step = 1, DType dtype = DType::f32);
Tensor arange(std::int64_t end, DType dtype = DType::i64);
Tensor scalar_tensor(double value, DType dtype = DType::f32);
// Copies values into a new tensor of the given shape and dtype.
Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                   DType dtype = DType::f32);
Tensor from_vector(const std::vector<float>& values, const Shape& shape);
Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape);
// Standard normal and uniform [low, high) samples from the generator.
Tensor randn(const Shape& shape, DType dtype = DType::f32, Generator& gen = default_generator());
Tensor rand(const Shape& shape, double low = 0, double high = 1, DType dtype = DType::f32,
            Generator& gen = default_generator());
// Identity matrix n x n.
Tensor eye(std::int64_t n, DType dtype = DType::f32);

// Fills an existing tensor (any strides) in place.
void fill_(const Tensor& t, double value);

}  // namespace qkv
