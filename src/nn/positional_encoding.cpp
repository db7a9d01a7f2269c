#include "nn/positional_encoding.h"

#include <cmath>
#include <numbers>
#include <sstream>
#include <vector>

#include "core/creation.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv::nn {

namespace {

// x [B, T, d] + table[offset : offset + T], then dropout; `module` names the
// caller in errors.
Tensor add_rows(const std::string& module, const Tensor& x, const Tensor& table,
                std::int64_t offset, const Dropout& dropout) {
  const std::int64_t max_len = table.size(0), dim = table.size(1);
  check(x.dim() == 3 && x.size(2) == dim, module, ": expected x [B, T, d] with d = ", dim,
        ", got shape ", x.shape());
  const std::int64_t steps = x.size(1);
  check(offset >= 0 && steps <= max_len - offset, module, ": positions [offset, offset + T) = [",
        offset, ", ", offset + steps, ") with T = ", steps, " and offset = ", offset,
        " do not fit in max_len = ", max_len);
  check(x.dtype() == table.dtype(), module, ": x is ", dtype_name(x.dtype()), " but the table is ",
        dtype_name(table.dtype()), " (Module::to converts the module)");
  return dropout.forward(x + narrow(table, 0, offset, steps));
}

std::string describe(std::int64_t dim, std::int64_t max_len, double p) {
  std::ostringstream os;
  os << "d=" << dim << ", max_len=" << max_len << ", dropout=" << p;
  return os.str();
}

}  // namespace

Tensor sinusoidal_table(std::int64_t length, std::int64_t dim, DType dtype) {
  check(length > 0 && dim > 0, "sinusoidal_table: sizes must be positive, got T = ", length,
        ", d = ", dim);
  check(is_floating(dtype), "sinusoidal_table: dtype must be floating, got ", dtype_name(dtype));
  std::vector<double> p(static_cast<std::size_t>(length * dim));
  for (std::int64_t c = 0; c < dim; c += 2) {
    const double freq = std::pow(10000.0, static_cast<double>(c) / static_cast<double>(dim));
    for (std::int64_t pos = 0; pos < length; ++pos) {
      const double angle = static_cast<double>(pos) / freq;
      p[pos * dim + c] = std::sin(angle);
      if (c + 1 < dim) p[pos * dim + c + 1] = std::cos(angle);
    }
  }
  return from_vector(p, {length, dim}, dtype);
}

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::int64_t dim, std::int64_t max_len,
                                                           double dropout, Generator& gen) {
  check(dim > 0 && max_len > 0,
        "SinusoidalPositionalEncoding: sizes must be positive, got d = ", dim,
        ", max_len = ", max_len);
  table_ = register_buffer("table", sinusoidal_table(max_len, dim), /*persistent=*/false);
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, std::int64_t offset) const {
  return add_rows(name(), x, table_, offset, *dropout_);
}

std::string SinusoidalPositionalEncoding::extra_repr() const {
  return describe(dim(), max_len(), dropout_->p());
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t dim,
                                                       double dropout, Generator& gen) {
  check(max_len > 0 && dim > 0,
        "LearnedPositionalEmbedding: sizes must be positive, got max_len = ", max_len,
        ", d = ", dim);
  Tensor w = randn({max_len, dim}, DType::f32, gen);
  float* values = w.data<float>();
  for (std::int64_t i = 0; i < w.numel(); ++i) values[i] *= 0.02f;
  weight_ = register_parameter("weight", w);
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& x, std::int64_t offset) const {
  return add_rows(name(), x, weight_, offset, *dropout_);
}

std::string LearnedPositionalEmbedding::extra_repr() const {
  return describe(dim(), max_len(), dropout_->p());
}

Tensor sinusoidal_encoding_2d(const Tensor& valid, std::int64_t dim, double pixel_offset) {
  check(valid.dim() == 3, "sinusoidal_encoding_2d: expected a valid mask [B, H, W], got shape ",
        valid.shape());
  check(valid.numel() > 0, "sinusoidal_encoding_2d: the valid mask ", valid.shape(), " is empty");
  check(dim > 0 && dim % 2 == 0, "sinusoidal_encoding_2d: d must be even and positive (d/2 ",
        "channels per axis), got d = ", dim);
  const std::int64_t batch = valid.size(0), height = valid.size(1), width = valid.size(2);
  const std::int64_t plane = height * width, n = dim / 2;
  const std::vector<double> mask = valid.to_vector<double>();

  // Running counts of valid pixels down each column (y) and along each row (x).
  std::vector<double> y(mask.size()), x(mask.size());
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t i = 0; i < height; ++i)
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t at = b * plane + i * width + j;
        const double one = mask[at] != 0 ? 1 : 0;
        y[at] = one + (i > 0 ? y[at - width] : 0);
        x[at] = one + (j > 0 ? x[at - 1] : 0);
      }
  // Normalised to (embed - offset) / (last + eps) * 2 pi, as DETR.
  constexpr double kEps = 1e-6, kScale = 2 * std::numbers::pi;
  std::vector<double> yn(mask.size()), xn(mask.size());
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t i = 0; i < height; ++i)
      for (std::int64_t j = 0; j < width; ++j) {
        const std::int64_t at = b * plane + i * width + j;
        const double y_last = y[b * plane + (height - 1) * width + j];
        const double x_last = x[b * plane + i * width + width - 1];
        yn[at] = (y[at] - pixel_offset) / (y_last + kEps) * kScale;
        xn[at] = (x[at] - pixel_offset) / (x_last + kEps) * kScale;
      }

  std::vector<float> out(static_cast<std::size_t>(batch * dim * plane));
  for (std::int64_t k = 0; k < n; ++k) {
    const double freq =
        std::pow(10000.0, static_cast<double>(2 * (k / 2)) / static_cast<double>(n));
    const auto wave = [k](double a) { return k % 2 == 0 ? std::sin(a) : std::cos(a); };
    for (std::int64_t b = 0; b < batch; ++b) {
      float* row_half = out.data() + (b * dim + k) * plane;
      float* col_half = out.data() + (b * dim + n + k) * plane;
      for (std::int64_t at = 0; at < plane; ++at) {
        row_half[at] = static_cast<float>(wave(yn[b * plane + at] / freq));
        col_half[at] = static_cast<float>(wave(xn[b * plane + at] / freq));
      }
    }
  }
  return from_vector(out, {batch, dim, height, width});
}

Tensor sinusoidal_encoding_2d(std::int64_t batch, std::int64_t height, std::int64_t width,
                              std::int64_t dim, double pixel_offset) {
  check(batch > 0 && height > 0 && width > 0,
        "sinusoidal_encoding_2d: sizes must be positive, got B = ", batch, ", H = ", height,
        ", W = ", width);
  return sinusoidal_encoding_2d(ones({batch, height, width}), dim, pixel_offset);
}

}  // namespace qkv::nn
