#include "nn/positional_encoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "ops/arith.h"
#include "ops/reduce.h"

namespace qkv::nn {
namespace {

using testing::max_abs_diff;

// The message of the qkv::Error that f throws, or "(no error)".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

#define EXPECT_HAS(message, fragment)                                          \
  do {                                                                         \
    const std::string qkv_msg_ = (message);                                    \
    EXPECT_NE(qkv_msg_.find(fragment), std::string::npos)                      \
        << "message: " << qkv_msg_ << "\nexpected to contain: " << (fragment); \
  } while (0)

const SafetensorsFile& golden() {
  static const SafetensorsFile f = load_safetensors(std::string(QKV_TEST_DATA_DIR) +
                                                    "/golden/positional/positional.safetensors");
  return f;
}

double at(const Tensor& t, const Shape& index) {
  Tensor v = t;
  for (std::int64_t i : index) v = view::select(v, 0, i);
  return v.item<double>();
}

TEST(SinusoidalTable, HandComputedValues) {
  const Tensor p = sinusoidal_table(4, 6, DType::f64);
  EXPECT_EQ(p.shape(), (Shape{4, 6}));
  EXPECT_EQ(p.dtype(), DType::f64);
  EXPECT_EQ(view::select(p, 0, 0).to_vector<double>(), (std::vector<double>{0, 1, 0, 1, 0, 1}));
  // Column pair j has frequency 1 / 10000^(2j/6): pair 0 is sin(pos), cos(pos).
  EXPECT_NEAR(at(p, {1, 0}), 0.8414709848078965, 1e-15);  // sin(1)
  EXPECT_NEAR(at(p, {1, 1}), 0.5403023058681398, 1e-15);  // cos(1)
  // P[3, 2] = sin(3 / 10000^(1/3)), P[3, 5] = cos(3 / 10000^(2/3)).
  EXPECT_NEAR(at(p, {3, 2}), 0.13879810108005056, 1e-15);
  EXPECT_NEAR(at(p, {3, 5}), 0.9999791129229608, 1e-15);
  // float32 is the default and holds the same values rounded.
  const Tensor p32 = sinusoidal_table(4, 6);
  EXPECT_EQ(p32.dtype(), DType::f32);
  EXPECT_LE(max_abs_diff(p32, p), 6e-8);
}

TEST(SinusoidalTable, OddWidthEndsWithASineColumn) {
  const Tensor p = sinusoidal_table(3, 5, DType::f64);
  EXPECT_EQ(p.shape(), (Shape{3, 5}));
  EXPECT_EQ(view::select(p, 0, 0).to_vector<double>(), (std::vector<double>{0, 1, 0, 1, 0}));
  EXPECT_NEAR(at(p, {2, 4}), 0.0012619143540422218, 1e-15);  // sin(2 / 10000^(4/5))
  EXPECT_EQ(sinusoidal_table(2, 1, DType::f64).to_vector<double>(),
            (std::vector<double>{0, 0.8414709848078965}));
}

// Tolerance: the goldens are computed in float32 and ours in float64, rounded
// once. PyTorch's angles pos / 10000^(2j/d) are exact in the first column and
// below 1.6 in the others, where a float32 ulp is 1.2e-7; its results differ
// from ours by at most 8.5e-8 here, so 3e-7 holds with room.
TEST(SinusoidalTable, MatchesPyTorchGoldens) {
  EXPECT_LE(max_abs_diff(sinusoidal_table(11, 10), golden().tensors.at("table.11x10")), 3e-7);
  EXPECT_LE(max_abs_diff(sinusoidal_table(7, 7), golden().tensors.at("table.7x7")), 3e-7);
}

TEST(SinusoidalTable, RejectsBadArguments) {
  EXPECT_HAS(error_of([] { sinusoidal_table(0, 4); }), "T = 0, d = 4");
  EXPECT_HAS(error_of([] { sinusoidal_table(3, -2); }), "T = 3, d = -2");
  EXPECT_HAS(error_of([] { sinusoidal_table(3, 4, DType::i64); }), "int64");
}

TEST(SinusoidalPositionalEncodingModule, AddsTableRowsFromOffset) {
  SinusoidalPositionalEncoding pe(6, 10);
  EXPECT_EQ(pe.dim(), 6);
  EXPECT_EQ(pe.max_len(), 10);
  EXPECT_LE(max_abs_diff(pe.table(), sinusoidal_table(10, 6)), 0.0);
  Generator gen(4);
  const Tensor x = randn({2, 3, 6}, DType::f32, gen);
  for (std::int64_t offset : {0, 4, 7}) {
    const Tensor y = pe.forward(x, offset);
    ASSERT_EQ(y.shape(), x.shape());
    // Not scaled: exactly x + P[offset + t] in every batch row.
    for (std::int64_t b = 0; b < 2; ++b)
      for (std::int64_t t = 0; t < 3; ++t)
        for (std::int64_t c = 0; c < 6; ++c)
          EXPECT_EQ(at(y, {b, t, c}), static_cast<double>(static_cast<float>(
                                          at(x, {b, t, c}) + at(pe.table(), {offset + t, c}))));
  }
  // One step at a time with offset = steps so far gives the whole sequence's rows.
  const Tensor whole = pe.forward(x);
  for (std::int64_t t = 0; t < 3; ++t)
    EXPECT_LE(max_abs_diff(pe.forward(view::narrow(x, 1, t, 1), t), view::narrow(whole, 1, t, 1)),
              0.0);
  EXPECT_EQ(pe.extra_repr(), "d=6, max_len=10, dropout=0");
}

TEST(SinusoidalPositionalEncodingModule, TableIsABufferOutsideTheStateDict) {
  SinusoidalPositionalEncoding pe(4, 16);
  EXPECT_TRUE(pe.named_parameters().empty());
  ASSERT_EQ(pe.named_buffers().size(), 1u);
  EXPECT_EQ(pe.named_buffers()[0].first, "table");
  EXPECT_TRUE(pe.state_dict().empty());
  EXPECT_TRUE(pe.load_state_dict({}).ok());
  // Module::to converts the table's float32 values, and float64 inputs are then accepted.
  pe.to(DType::f64);
  EXPECT_EQ(pe.table().dtype(), DType::f64);
  EXPECT_LE(max_abs_diff(pe.forward(zeros({1, 16, 4}, DType::f64)),
                         view::unsqueeze(view::to_dtype(sinusoidal_table(16, 4), DType::f64), 0)),
            0.0);
}

TEST(SinusoidalPositionalEncodingModule, ErrorsNameTOffsetAndMaxLen) {
  SinusoidalPositionalEncoding pe(6, 8);
  const std::string too_long = error_of([&] { pe.forward(zeros({2, 5, 6}), 4); });
  EXPECT_HAS(too_long, "T = 5");
  EXPECT_HAS(too_long, "offset = 4");
  EXPECT_HAS(too_long, "max_len = 8");
  EXPECT_HAS(too_long, "SinusoidalPositionalEncoding");
  EXPECT_HAS(error_of([&] { pe.forward(zeros({1, 9, 6})); }), "T = 9");
  EXPECT_HAS(error_of([&] { pe.forward(zeros({1, 2, 6}), -1); }), "offset = -1");
  const std::string width = error_of([&] { pe.forward(zeros({2, 3, 4})); });
  EXPECT_HAS(width, "d = 6");
  EXPECT_HAS(width, "[2, 3, 4]");
  EXPECT_HAS(error_of([&] { pe.forward(zeros({3, 6})); }), "[3, 6]");
  EXPECT_HAS(error_of([&] { pe.forward(zeros({1, 3, 6}, DType::f64)); }), "float64");
  EXPECT_HAS(error_of([] { SinusoidalPositionalEncoding(0, 8); }), "d = 0");
  EXPECT_THROW(SinusoidalPositionalEncoding(4, 8, 1.0), Error);
  // Exactly filling the table is fine.
  EXPECT_EQ(pe.forward(zeros({1, 3, 6}), 5).shape(), (Shape{1, 3, 6}));
}

TEST(SinusoidalPositionalEncodingModule, DropoutOnlyInTraining) {
  Generator gen(11);
  SinusoidalPositionalEncoding pe(8, 64, 0.5, gen);
  EXPECT_EQ(pe.dropout().p(), 0.5);
  const Tensor x = ones({4, 64, 8});
  const auto clean = (x + pe.table()).to_vector<float>();
  const auto noisy = pe.forward(x).to_vector<float>();
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    ASSERT_TRUE(noisy[i] == 0.f || std::abs(noisy[i] - 2 * clean[i]) < 1e-6) << i;
    dropped += noisy[i] == 0.f && clean[i] != 0.f;
  }
  EXPECT_NEAR(double(dropped) / clean.size(), 0.5, 0.05);
  pe.eval();
  EXPECT_EQ(pe.forward(x).to_vector<float>(), clean);
}

TEST(LearnedPositionalEmbeddingModule, SmallNormalInitInTheStateDict) {
  Generator gen(5);
  LearnedPositionalEmbedding pos(512, 64, 0, gen);
  EXPECT_EQ(pos.max_len(), 512);
  EXPECT_EQ(pos.dim(), 64);
  ASSERT_EQ(pos.named_parameters().size(), 1u);
  EXPECT_EQ(pos.named_parameters()[0].first, "weight");
  EXPECT_EQ(pos.weight().shape(), (Shape{512, 64}));
  EXPECT_TRUE(pos.weight().requires_grad());
  const auto dict = pos.state_dict();
  ASSERT_EQ(dict.size(), 1u);
  EXPECT_EQ(dict.begin()->first, "weight");
  double mean = 0, sq = 0;
  for (float v : pos.weight().to_vector<float>()) mean += v, sq += double(v) * v;
  const double n = 512.0 * 64;
  mean /= n;
  EXPECT_NEAR(mean, 0, 0.001);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 0.02, 0.0005);
  EXPECT_EQ(pos.extra_repr(), "d=64, max_len=512, dropout=0");
}

TEST(LearnedPositionalEmbeddingModule, AddsRowsAndTheGradientReachesThem) {
  LearnedPositionalEmbedding pos(6, 3);
  Generator gen(8);
  const Tensor x = randn({2, 2, 3}, DType::f32, gen);
  const Tensor y = pos.forward(x, 3);
  EXPECT_LE(max_abs_diff(y, x + view::narrow(pos.weight(), 0, 3, 2)), 0.0);
  autograd::backward(sum(y));
  // Rows 3 and 4 were added to both batch rows; the others were not used.
  EXPECT_EQ(pos.weight().grad().to_vector<float>(),
            (std::vector<float>{0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 0, 0}));
}

TEST(LearnedPositionalEmbeddingModule, GradcheckFloat64) {
  Generator gen(9);
  LearnedPositionalEmbedding pos(5, 4, 0, gen);
  pos.to(DType::f64);
  const Tensor x = testing::leaf64({2, 3, 4}, 10);
  EXPECT_MODULE_GRADCHECK(pos, [&] { return pos.forward(x, 1); }, {x});
}

TEST(LearnedPositionalEmbeddingModule, ErrorsAndDropout) {
  Generator gen(12);
  LearnedPositionalEmbedding pos(8, 6, 0.25, gen);
  const std::string too_long = error_of([&] { pos.forward(zeros({1, 4, 6}), 5); });
  EXPECT_HAS(too_long, "LearnedPositionalEmbedding");
  EXPECT_HAS(too_long, "T = 4");
  EXPECT_HAS(too_long, "offset = 5");
  EXPECT_HAS(too_long, "max_len = 8");
  EXPECT_HAS(error_of([&] { pos.forward(zeros({1, 4, 5})); }), "d = 6");
  EXPECT_HAS(error_of([] { LearnedPositionalEmbedding(0, 6); }), "max_len = 0");

  const Tensor x = ones({16, 8, 6});
  pos.eval();
  const auto clean = pos.forward(x).to_vector<float>();
  EXPECT_LE(max_abs_diff(pos.forward(x), x + pos.weight()), 0.0);
  pos.train();
  const auto noisy = pos.forward(x).to_vector<float>();
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    ASSERT_TRUE(noisy[i] == 0.f || std::abs(noisy[i] - clean[i] / 0.75f) < 1e-6) << i;
    dropped += noisy[i] == 0.f;
  }
  EXPECT_NEAR(double(dropped) / clean.size(), 0.25, 0.05);
}

TEST(SinusoidalEncoding2d, ShapeAndHandComputedValues) {
  const Tensor pos = sinusoidal_encoding_2d(1, 5, 7, 16, 0.5);
  EXPECT_EQ(pos.shape(), (Shape{1, 16, 5, 7}));
  EXPECT_EQ(pos.dtype(), DType::f32);
  // Pixel centres (offset 0.5), row 2 of 5: (3 - 0.5) / 5 * 2 pi = pi (up to eps = 1e-6 in the divisor).
  // Channel 0 (frequency 1) is sin(pi), 1 is cos(pi), 2 is sin(pi / 10000^(2/8)) = sin(pi / 10),
  // the same in every column.
  for (std::int64_t j = 0; j < 7; ++j) {
    EXPECT_NEAR(at(pos, {0, 0, 2, j}), 0, 2e-6);
    EXPECT_NEAR(at(pos, {0, 1, 2, j}), -1, 1e-6);
    EXPECT_NEAR(at(pos, {0, 2, 2, j}), (std::sqrt(5.0) - 1) / 4, 1e-6);
  }
  // Column 3 of 7 in the column half (channels 8..15), the same in every row.
  for (std::int64_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(at(pos, {0, 8, i, 3}), 0, 2e-6);
    EXPECT_NEAR(at(pos, {0, 9, i, 3}), -1, 1e-6);
    EXPECT_NEAR(at(pos, {0, 15, i, 3}), 0.9999950652032681, 1e-6);  // cos(pi / 10000^(6/8))
  }
  // The original DETR's formula, the default: row 4 of 5 normalises to 5 / 5 * 2 pi.
  EXPECT_NEAR(at(sinusoidal_encoding_2d(1, 5, 7, 16), {0, 1, 4, 0}), 1, 1e-6);
}

// Tolerance: PyTorch computes in float32 from angles of up to 2 pi, where a
// float32 ulp is 4.8e-7, and ours are computed in float64: they differ by at
// most 4.8e-7 here, so 1e-6.
// Where a whole row or column is padding the angle is -0.5 / 1e-6 * 2 pi, and
// float32's rounding of it makes PyTorch's value arbitrary: those entries are
// compared only for being bounded.
TEST(SinusoidalEncoding2d, MatchesDetrGoldensWithPadding) {
  const auto& g = golden().tensors;
  const Tensor valid = g.at("sine2d.valid");
  ASSERT_EQ(valid.shape(), (Shape{2, 5, 7}));
  EXPECT_LE(max_abs_diff(sinusoidal_encoding_2d(valid, 16), g.at("sine2d.offset_zero")), 1e-6);

  const Tensor ours = sinusoidal_encoding_2d(valid, 16, 0.5);
  const Tensor theirs = g.at("sine2d.offset_half");
  ASSERT_EQ(ours.shape(), theirs.shape());
  const std::int64_t valid_rows[] = {5, 3}, valid_cols[] = {7, 4};
  double worst = 0;
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t k = 0; k < 16; ++k)
      for (std::int64_t i = 0; i < 5; ++i)
        for (std::int64_t j = 0; j < 7; ++j) {
          const double o = at(ours, {b, k, i, j});
          ASSERT_LE(std::abs(o), 1.0);
          // The row half needs a valid pixel in column j, the column half one in row i.
          if (k < 8 ? j < valid_cols[b] : i < valid_rows[b])
            worst = std::max(worst, std::abs(o - at(theirs, {b, k, i, j})));
        }
  EXPECT_LE(worst, 1e-6);
}

TEST(SinusoidalEncoding2d, AnyMaskDtypeAndOddChannelCount) {
  const Tensor valid = zeros({1, 3, 4});
  fill_(view::narrow(view::narrow(valid, 1, 0, 2), 2, 0, 3), 1);
  const Tensor a = sinusoidal_encoding_2d(valid, 8);
  EXPECT_LE(max_abs_diff(a, sinusoidal_encoding_2d(view::to_dtype(valid, DType::i64), 8)), 0.0);
  EXPECT_LE(max_abs_diff(a, sinusoidal_encoding_2d(view::to_dtype(valid, DType::f64) * 3.0, 8)),
            0.0);
  // A fully valid mask is the (B, H, W) form.
  EXPECT_LE(
      max_abs_diff(sinusoidal_encoding_2d(ones({2, 3, 4}), 8), sinusoidal_encoding_2d(2, 3, 4, 8)),
      0.0);
  // d = 6: three channels per axis, the third a sine at 10000^(2/3).
  const Tensor odd = sinusoidal_encoding_2d(1, 1, 1, 6, 0.5);
  const double angle = 0.5 / (1 + 1e-6) * 2 * std::numbers::pi;
  EXPECT_NEAR(at(odd, {0, 2, 0, 0}), std::sin(angle / std::pow(10000.0, 2.0 / 3)), 1e-7);
  EXPECT_NEAR(at(odd, {0, 5, 0, 0}), std::sin(angle / std::pow(10000.0, 2.0 / 3)), 1e-7);
}

TEST(SinusoidalEncoding2d, RejectsBadArguments) {
  EXPECT_HAS(error_of([] { sinusoidal_encoding_2d(1, 2, 2, 7); }), "d = 7");
  EXPECT_HAS(error_of([] { sinusoidal_encoding_2d(1, 2, 2, 0); }), "d = 0");
  EXPECT_HAS(error_of([] { sinusoidal_encoding_2d(ones({2, 3}), 8); }), "[2, 3]");
  EXPECT_HAS(error_of([] { sinusoidal_encoding_2d(zeros({2, 0, 3}), 8); }), "[2, 0, 3]");
  EXPECT_HAS(error_of([] { sinusoidal_encoding_2d(2, 0, 3, 8); }), "H = 0");
}

}  // namespace
}  // namespace qkv::nn
