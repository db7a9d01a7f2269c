#pragma once
// Positional encodings. Self-attention ignores the order of its inputs, so a
// signal of the model's width d that depends on the position is added to the
// input embeddings (added, not concatenated; SPEC section 4):
//
//   sinusoidal_table             the fixed table of "Attention Is All You Need"
//   SinusoidalPositionalEncoding adds rows of that table to x [B, T, d]
//   LearnedPositionalEmbedding   adds rows of a trained table (GPT, ViT)
//   sinusoidal_encoding_2d       DETR's encoding of image feature maps [B, d, H, W]
//
// The two modules take an `offset`, the position of x's first step: an
// incremental decoder that feeds one step at a time passes the number of steps
// already decoded and gets the rows the whole sequence would have got. Neither
// module scales x: the Transformer multiplies its token embeddings by sqrt(d)
// before the sinusoidal positions are added, and that is the model's business,
// as the model owns the embedding (and ViT and GPT do not scale at all).

#include <cstdint>
#include <memory>
#include <string>

#include "core/rng.h"
#include "nn/dropout.h"
#include "nn/module.h"

namespace qkv::nn {

// P [T, d] with, for every even column 2j,
//   P[pos, 2j] = sin(pos / 10000^(2j/d)),  P[pos, 2j+1] = cos(pos / 10000^(2j/d)),
// so row 0 is [0, 1, 0, 1, ...]. An odd d ends with a sine column. Computed in
// float64 and rounded once to dtype (a floating type).
Tensor sinusoidal_table(std::int64_t length, std::int64_t dim, DType dtype = DType::f32);

// x [B, T, d] -> dropout(x + P[offset : offset + T]), the rows of
// sinusoidal_table(max_len, d) broadcast over the batch.
class SinusoidalPositionalEncoding : public Module {
 public:
  // The table [max_len, d] is a buffer ("table") that is not saved in the
  // state dict: it is a function of d and max_len, and a checkpoint then loads
  // into a module built with another max_len. The table is float32; Module::to
  // converts it with the rest. gen draws the dropout masks and must outlive
  // the module.
  explicit SinusoidalPositionalEncoding(std::int64_t dim, std::int64_t max_len = 5000,
                                        double dropout = 0, Generator& gen = default_generator());

  // Throws when x is not [B, T, d] of the table's dtype, when offset < 0, or
  // when offset + T > max_len.
  Tensor forward(const Tensor& x, std::int64_t offset = 0) const;

  std::string name() const override { return "SinusoidalPositionalEncoding"; }
  std::string extra_repr() const override;

  std::int64_t dim() const { return table_.size(1); }
  std::int64_t max_len() const { return table_.size(0); }
  const Tensor& table() const { return table_; }
  const Dropout& dropout() const { return *dropout_; }

 private:
  Tensor table_;
  std::shared_ptr<Dropout> dropout_;
};

// x [B, T, d] -> dropout(x + weight[offset : offset + T]) with a trained table
// weight [max_len, d]; the gradient of the rows used flows into weight.
class LearnedPositionalEmbedding : public Module {
 public:
  // weight ~ N(0, 0.02^2), the initialisation of GPT-2 (as Hugging Face writes
  // it) and of ViT (timm's trunc_normal_(std=0.02), whose cut at +-2 never
  // bites). gen draws the weights and the dropout masks and must outlive the
  // module.
  LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t dim, double dropout = 0,
                             Generator& gen = default_generator());

  // Throws as SinusoidalPositionalEncoding::forward does.
  Tensor forward(const Tensor& x, std::int64_t offset = 0) const;

  std::string name() const override { return "LearnedPositionalEmbedding"; }
  std::string extra_repr() const override;

  std::int64_t dim() const { return weight_.size(1); }
  std::int64_t max_len() const { return weight_.size(0); }
  const Tensor& weight() const { return weight_; }
  const Dropout& dropout() const { return *dropout_; }

 private:
  Tensor weight_;
  std::shared_ptr<Dropout> dropout_;
};

// The 2-D sine encoding of DETR (Carion et al. 2020, PositionEmbeddingSine with
// normalize=True, scale = 2 pi, temperature = 10000) for a feature map whose
// images may be padded at the bottom and right.
//
// valid [B, H, W], any dtype: nonzero where the pixel is real (the complement of
// DETR's padding mask). Returns pos [B, d, H, W] float32; d must be even. The
// first d/2 channels encode the row, the last d/2 the column. With n = d/2:
//   y[b, i, j] = number of valid pixels among rows 0..i of column j
//   yn = (y - pixel_offset) / (y[b, H-1, j] + 1e-6) * 2 pi
//   pos[b, k, i, j] = sin(yn / 10000^(2 floor(k/2) / n)) for even k < n, cos for odd k,
// and likewise the column half, channel n + k, from counts along the row.
//
// pixel_offset = 0 (the default) is the original DETR's formula, which weights
// trained with it expect. 0.5 measures a pixel at its centre, so the
// normalised positions of a valid extent lie in (0, 2 pi): the formula of
// Deformable DETR (Zhu et al. 2021) and the DETR family after it.
// Where a whole column (row) is padding, its count is 0 and the row (column)
// half there holds the sine of a huge angle (with pixel_offset 0: of 0), as in
// DETR; attention masks those pixels. When n is odd the last channel of each
// half is a sine (DETR's own code requires n even). A constant: no gradient.
Tensor sinusoidal_encoding_2d(const Tensor& valid, std::int64_t dim, double pixel_offset = 0);
// The same for B images of H x W without padding.
Tensor sinusoidal_encoding_2d(std::int64_t batch, std::int64_t height, std::int64_t width,
                              std::int64_t dim, double pixel_offset = 0);

}  // namespace qkv::nn
