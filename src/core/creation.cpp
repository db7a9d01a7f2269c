#include "core/creation.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "core/philox.h"
#include "core/strided.h"

namespace qkv {

namespace {

// Writes gen_value(i) (a double) into element i of a dense tensor.
template <class F>
void fill_dense(const Tensor& t, F&& gen_value) {
  const std::int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::f32: {
      float* p = t.data<float>();
#pragma omp parallel for if (n > 65536)
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(gen_value(i));
      break;
    }
    case DType::f64: {
      double* p = t.data<double>();
#pragma omp parallel for if (n > 65536)
      for (std::int64_t i = 0; i < n; ++i) p[i] = gen_value(i);
      break;
    }
    case DType::bf16: {
      bf16* p = t.data<bf16>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = bf16::from_float(static_cast<float>(gen_value(i)));
      break;
    }
    case DType::i64: {
      std::int64_t* p = t.data<std::int64_t>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<std::int64_t>(gen_value(i));
      break;
    }
  }
}

}  // namespace

void fill_(const Tensor& t, double value) {
  if (t.is_contiguous()) return fill_dense(t, [value](std::int64_t) { return value; });
  const Tensor one = scalar_tensor(value, t.dtype());
  for_each_offset(t.shape(), t.strides(), [&](std::int64_t, std::int64_t off) {
    std::memcpy(static_cast<char*>(t.raw_data()) + off * dtype_size(t.dtype()), one.raw_data(),
                dtype_size(t.dtype()));
  });
}

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  fill_dense(t, [value](std::int64_t) { return value; });
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor scalar_tensor(double value, DType dtype) { return full({}, value, dtype); }

Tensor arange(double start, double end, double step, DType dtype) {
  check(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange: start ", start,
        ", end ", end, " and step ", step, " must be finite");
  check(step != 0, "arange: step must be non-zero");
  check((end - start) * step >= 0, "arange: step ", step, " leads away from end ", end,
        " when starting at ", start);
  const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
  Tensor t = Tensor::empty({std::max<std::int64_t>(n, 0)}, dtype);
  fill_dense(t, [=](std::int64_t i) { return start + step * static_cast<double>(i); });
  return t;
}

Tensor arange(std::int64_t end, DType dtype) { return arange(0.0, static_cast<double>(end), 1.0, dtype); }

Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  check(static_cast<std::int64_t>(values.size()) == numel(shape), "from_vector: ", values.size(),
        " values for shape ", shape);
  Tensor t = Tensor::empty(shape, dtype);
  fill_dense(t, [&](std::int64_t i) { return values[i]; });
  return t;
}

Tensor from_vector(const std::vector<float>& values, const Shape& shape) {
  return from_vector(std::vector<double>(values.begin(), values.end()), shape, DType::f32);
}

Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape) {
  check(static_cast<std::int64_t>(values.size()) == numel(shape), "from_vector: ", values.size(),
        " values for shape ", shape);
  Tensor t = Tensor::empty(shape, DType::i64);
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

Tensor randn(const Shape& shape, DType dtype, Generator& gen) {
  Tensor t = Tensor::empty(shape, dtype);
  const std::uint64_t base = gen.reserve(t.numel()), key = gen.seed();
  fill_dense(t, [=](std::int64_t i) {
    auto r = philox4x32(base + i, key);
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    double u1 = 1.0 - uints_to_unit_double(r[0], r[1]);
    double u2 = uints_to_unit_double(r[2], r[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  });
  return t;
}

Tensor rand(const Shape& shape, double low, double high, DType dtype, Generator& gen) {
  Tensor t = Tensor::empty(shape, dtype);
  const std::uint64_t base = gen.reserve(t.numel()), key = gen.seed();
  fill_dense(t, [=](std::int64_t i) {
    auto r = philox4x32(base + i, key);
    return low + (high - low) * uints_to_unit_double(r[0], r[1]);
  });
  return t;
}

Tensor eye(std::int64_t n, DType dtype) {
  Tensor t = zeros({n, n}, dtype);
  fill_dense(t, [n](std::int64_t i) { return i / n == i % n ? 1.0 : 0.0; });
  return t;
}

}  // namespace qkv
