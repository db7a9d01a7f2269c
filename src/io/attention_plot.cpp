#include "io/attention_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "io/plot.h"

namespace qkv::plot {

namespace {

// Automatic sizes, in pixels. Token labels are drawn 11 pixels high, so a cell
// of 24 keeps row labels unthinned; 7 is a generous width per character.
constexpr double kCellPixels = 24, kMinMatrix = 120, kMaxMatrix = 900;
constexpr double kCharPixels = 7;
constexpr std::size_t kMaxLabelChars = 30;
// Room around the matrix: the y label, ticks, colour bar and its labels
// across; the panel title, ticks and x label down.
constexpr double kAcross = 120, kDown = 72;
constexpr int kTitleBand = 40, kMinPanel = 240, kMaxPanel = 1600, kMaxImage = 16384;

// The width of the longest of n labels (indices when none are given), capped.
double label_pixels(const std::vector<std::string>& labels, std::int64_t n) {
  std::size_t chars = std::to_string(n - 1).size();
  for (const auto& s : labels) {
    // UTF-8 code points: every byte but continuation bytes.
    const auto points = std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    chars = std::max(chars, static_cast<std::size_t>(points));
  }
  return static_cast<double>(std::min(chars, kMaxLabelChars)) * kCharPixels;
}

double matrix_pixels(std::int64_t tokens) {
  return std::clamp(kCellPixels * static_cast<double>(tokens), kMinMatrix, kMaxMatrix);
}

// The requested size, or one grown from the content and kept within bounds.
int panel_side(int requested, double content, int limit) {
  if (requested > 0) return requested;
  return std::min(std::clamp(static_cast<int>(std::ceil(content)), kMinPanel, kMaxPanel), limit);
}

}  // namespace

void save_attention_maps(const std::string& path, const Tensor& weights,
                         const std::vector<std::string>& query_tokens,
                         const std::vector<std::string>& key_tokens,
                         const AttentionPlotOptions& options) {
  check(weights.dim() == 2 || weights.dim() == 3,
        "attention plot: expected weights [Tq, Tk] or [heads, Tq, Tk], got shape ",
        weights.shape());
  check(is_floating(weights.dtype()), "attention plot: expected floating weights, got ",
        dtype_name(weights.dtype()));
  check(weights.numel() > 0, "attention plot: the weights ", weights.shape(), " are empty");
  const bool per_head = weights.dim() == 3;
  const std::int64_t heads = per_head ? weights.size(0) : 1;
  const std::int64_t tq = weights.size(-2), tk = weights.size(-1);
  const auto count = [](const std::vector<std::string>& v) {
    return static_cast<std::int64_t>(v.size());
  };
  check(query_tokens.empty() || count(query_tokens) == tq, "attention plot: ", query_tokens.size(),
        " query tokens for Tq = ", tq, " (weights ", weights.shape(), ")");
  check(key_tokens.empty() || count(key_tokens) == tk, "attention plot: ", key_tokens.size(),
        " key tokens for Tk = ", tk, " (weights ", weights.shape(), ")");
  check(options.panel_titles.empty() || count(options.panel_titles) == heads,
        "attention plot: ", options.panel_titles.size(), " panel titles for ", heads,
        " heads (weights ", weights.shape(), ")");
  check(options.columns >= 0 && options.panel_width >= 0 && options.panel_height >= 0,
        "attention plot: columns and panel sizes must be >= 0, got columns = ", options.columns,
        ", panel ", options.panel_width, "x", options.panel_height);

  const std::vector<double> values = weights.to_vector<double>();
  const std::int64_t cells = tq * tk;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto n = static_cast<std::int64_t>(i);
    check(std::isfinite(values[i]), "attention plot: weight ", values[i], " of head ", n / cells,
          " at query ", n % cells / tk, ", key ", n % tk, " is not finite");
  }
  auto [lo, hi] =
      options.range.value_or(std::pair{*std::min_element(values.begin(), values.end()),
                                       *std::max_element(values.begin(), values.end())});
  if (!options.range && lo == hi) lo -= 0.5, hi += 0.5;

  const int ncols =
      static_cast<int>(options.columns > 0 ? std::min<std::int64_t>(options.columns, heads)
                                           : std::min<std::int64_t>(heads, 4));
  const int nrows = static_cast<int>((heads + ncols - 1) / ncols);
  HeatMapGrid grid(options.title, ncols);
  for (std::int64_t h = 0; h < heads; ++h) {
    const auto first = values.begin() + h * cells;
    HeatMap map(tq, tk, std::vector<double>(first, first + cells));
    map.x_label(options.x_label).y_label(options.y_label).range(lo, hi);
    if (!query_tokens.empty()) map.row_labels(query_tokens);
    if (!key_tokens.empty()) map.col_labels(key_tokens);
    if (!options.panel_titles.empty())
      map.title(options.panel_titles[h]);
    else if (per_head)
      map.title("head " + std::to_string(h));
    grid.add(std::move(map));
  }

  const int band = options.title.empty() ? 0 : kTitleBand;
  const int panel_w =
      panel_side(options.panel_width, matrix_pixels(tk) + label_pixels(query_tokens, tq) + kAcross,
                 kMaxImage / ncols);
  const int panel_h =
      panel_side(options.panel_height, matrix_pixels(tq) + label_pixels(key_tokens, tk) + kDown,
                 (kMaxImage - band) / nrows);
  grid.save(path, ncols * panel_w, nrows * panel_h + band);
}

}  // namespace qkv::plot
