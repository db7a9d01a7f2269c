#include "io/attention_plot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/creation.h"
#include "core/view.h"
#include "io/io_testing.h"
#include "ops/arith.h"
#include "ops/softmax.h"

namespace qkv::plot {
namespace {

using testing::error_of;
using testing::read_png_size;
using testing::TempDir;

// Softmax rows over random scores: weights as attention produces them.
Tensor attention_weights(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  return softmax(randn(shape, DType::f32, gen) * 2.0);
}

using Tokens = std::vector<std::string>;

TEST(AttentionPlot, PanelsOfTheRequestedSizeInAGrid) {
  TempDir dir;
  const Tensor w = attention_weights({3, 4, 6}, 1);
  AttentionPlotOptions options;
  options.columns = 2;
  options.panel_width = 300;
  options.panel_height = 260;
  const auto q = Tokens({"the", "cat", "sat", "."});
  const auto k = Tokens({"<bos>", "die", "Katze", "saß", ".", "<eos>"});
  save_attention_maps((dir / "heads.png").string(), w, q, k, options);
  auto size = read_png_size(dir / "heads.png");
  EXPECT_TRUE(size.ok);
  EXPECT_EQ(size.width, 600u);   // 2 columns
  EXPECT_EQ(size.height, 520u);  // 3 heads in 2 rows
  // A figure title adds its band above the panels.
  options.title = "layer 0, cross-attention";
  save_attention_maps((dir / "titled.png").string(), w, q, k, options);
  size = read_png_size(dir / "titled.png");
  EXPECT_EQ(size.width, 600u);
  EXPECT_EQ(size.height, 560u);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"heads.png", "titled.png"}));
}

TEST(AttentionPlot, OneMatrixAnyStridesAndIndexLabels) {
  TempDir dir;
  // A transposed view [Tq, Tk] of a [Tk, Tq] tensor, in float64, labelled by indices.
  const Tensor w = view::transpose(view::to_dtype(attention_weights({5, 3}, 2), DType::f64), 0, 1);
  ASSERT_FALSE(w.is_contiguous());
  AttentionPlotOptions options;
  options.range = std::nullopt;
  save_attention_maps((dir / "one.png").string(), w, {}, {}, options);
  const auto size = read_png_size(dir / "one.png");
  EXPECT_TRUE(size.ok);
  EXPECT_GE(size.width, 240u);
  EXPECT_GE(size.height, 240u);
  // Constant weights with a data range still draw.
  save_attention_maps((dir / "flat.png").string(), full({2, 2}, 0.5), {}, {}, options);
  EXPECT_TRUE(read_png_size(dir / "flat.png").ok);
}

TEST(AttentionPlot, ImageGrowsWithTheTokensWithinBounds) {
  TempDir dir;
  const auto words = [](int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back("word" + std::to_string(i));
    return v;
  };
  const auto size_for = [&](std::int64_t heads, int tq, int tk) {
    const std::string path = (dir / "auto.png").string();
    save_attention_maps(path, attention_weights({heads, tq, tk}, 3), words(tq), words(tk));
    return read_png_size(path);
  };
  const auto small = size_for(1, 3, 4), medium = size_for(1, 20, 30), large = size_for(8, 300, 300);
  ASSERT_TRUE(small.ok && medium.ok && large.ok);
  EXPECT_LT(small.width, medium.width);
  EXPECT_LT(small.height, medium.height);
  // 24 pixels per token: 30 keys need more than 720 pixels across.
  EXPECT_GT(medium.width, 720u);
  EXPECT_GT(medium.height, 480u);
  EXPECT_GE(small.width, 240u);
  // Eight heads of 300 tokens: 4 x 2 panels, each capped.
  EXPECT_LE(large.width, 4u * 1600u);
  EXPECT_LE(large.height, 2u * 1600u);
  EXPECT_GT(large.width, 4u * 900u);
}

TEST(AttentionPlot, RejectsBadInputNamingTheSizes) {
  TempDir dir;
  const std::string path = (dir / "bad.png").string();
  const Tensor w = attention_weights({2, 3, 4}, 4);
  const auto q = Tokens({"a", "b", "c"}), k = Tokens({"w", "x", "y", "z"});

  std::string msg = error_of([&] { save_attention_maps(path, w, Tokens({"a", "b"}), k); });
  EXPECT_HAS(msg, "2 query tokens for Tq = 3");
  EXPECT_HAS(msg, "[2, 3, 4]");
  msg = error_of([&] { save_attention_maps(path, w, q, Tokens({"w", "x", "y", "z", "!"})); });
  EXPECT_HAS(msg, "5 key tokens for Tk = 4");
  msg = error_of([&] { save_attention_maps(path, zeros({1, 2, 3, 4}), {}, {}); });
  EXPECT_HAS(msg, "[1, 2, 3, 4]");
  EXPECT_HAS(error_of([&] { save_attention_maps(path, zeros({4}), {}, {}); }), "[4]");
  EXPECT_HAS(error_of([&] { save_attention_maps(path, zeros({2, 0, 4}), {}, {}); }), "[2, 0, 4]");
  EXPECT_HAS(error_of([&] {
               save_attention_maps(path, zeros({2, 2}, DType::i64), {}, {});
             }),
             "int64");
  AttentionPlotOptions options;
  options.panel_titles = {"only one"};
  EXPECT_HAS(error_of([&] { save_attention_maps(path, w, q, k, options); }),
             "1 panel titles for 2 heads");
  const Tensor broken = full({2, 2}, 0.25);
  broken.data<float>()[3] = NAN;
  EXPECT_HAS(error_of([&] { save_attention_maps(path, broken, {}, {}); }), "query 1, key 1");
  options = {};
  options.range = std::pair{1.0, 0.0};
  EXPECT_THROW(save_attention_maps(path, w, q, k, options), Error);
  EXPECT_TRUE(dir.entries().empty());
}

}  // namespace
}  // namespace qkv::plot
