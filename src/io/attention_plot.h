#pragma once
// Attention weights as heat-map images (SPEC section 8): one panel per head,
// queries down the rows and keys along the columns, the tokens as axis labels.
// Decoder cross-attention then shows the alignment of a translation; encoder
// self-attention shows, e.g., which word "it" attends to. One call draws one
// layer; call it once per layer for the layer x head picture.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace qkv::plot {

struct AttentionPlotOptions {
  // Over the whole figure; empty: none.
  std::string title;
  // One per head; empty: "head 0", "head 1", ... ([Tq, Tk] weights: untitled).
  std::vector<std::string> panel_titles;
  // Panels per row of the grid; 0: min(heads, 4).
  int columns = 0;
  // Pixels per panel; 0: grown with the token counts so labels stay readable
  // (about 24 pixels per token, the matrix at most 900 pixels a side, the
  // whole image at most 16384). The image is columns x panel_width by
  // rows x panel_height, plus a 40-pixel band when there is a title.
  int panel_width = 0, panel_height = 0;
  // The weights at the two ends of the colour map, shared by every panel so
  // heads compare at a glance. Default [0, 1], the range of softmax weights;
  // std::nullopt spans the smallest to the largest weight of all heads.
  std::optional<std::pair<double, double>> range = std::pair{0.0, 1.0};
  std::string x_label = "keys", y_label = "queries";
};

// Writes a PNG of weights [Tq, Tk] or [heads, Tq, Tk] (float32/float64/bf16,
// any strides). query_tokens label the Tq rows and key_tokens the Tk columns;
// an empty vector labels them with indices. Throws qkv::Error naming the sizes
// when a label count differs from Tq or Tk, when panel_titles is neither empty
// nor one per head, for another rank, empty or non-finite weights, or when the
// file cannot be written (the target is replaced atomically, as plot.h does).
void save_attention_maps(const std::string& path, const Tensor& weights,
                         const std::vector<std::string>& query_tokens,
                         const std::vector<std::string>& key_tokens,
                         const AttentionPlotOptions& options = {});

}  // namespace qkv::plot
