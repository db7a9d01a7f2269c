#pragma once
// Figures as PNG files, drawn with cairo: line/scatter plots (fitted curves,
// loss curves) and grids of heat maps (attention weights, queries x keys).
// Every save() writes the whole image to a temporary file beside the target
// and renames it, so a target never holds a half-written PNG. Bad input (no
// data, mismatched sizes, non-finite values, an unwritable path) throws
// qkv::Error naming the sizes or the path.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace qkv::plot {

struct Color {
  double r = 0, g = 0, b = 0;  // each in [0, 1]
};

// The i-th of ten distinct series colours (cycling), in matplotlib's "tab10" order.
Color series_color(std::size_t i);
// A perceptually ordered colour map, t in [0, 1] from dark purple through
// blue-green to yellow: matplotlib's viridis sampled at nine anchors and
// interpolated linearly. t outside [0, 1] is taken as the nearest end.
Color colormap(double t);

enum class Draw { line, dashed, markers };

struct Series {
  std::string label;  // legend entry; an empty label leaves the series out of the legend
  std::vector<double> x, y;
  Draw draw = Draw::line;
  std::optional<Color> color;  // default: series_color(index of the series)
};

class LinePlot {
 public:
  LinePlot& title(std::string text);
  LinePlot& x_label(std::string text);
  LinePlot& y_label(std::string text);
  // Adds a series drawn in order of addition; x and y must be non-empty,
  // of equal length and finite.
  LinePlot& add(Series series);
  LinePlot& line(std::string label, std::vector<double> x, std::vector<double> y);
  LinePlot& scatter(std::string label, std::vector<double> x, std::vector<double> y);

  // Axes span the data with a small margin; ticks fall on 1, 2, 5 x 10^k.
  // The legend goes to the corner of the plot area that covers the fewest points.
  void save(const std::string& path, int width = 800, int height = 500) const;

 private:
  std::string title_, x_label_, y_label_;
  std::vector<Series> series_;
};

// One matrix of values [rows x cols] drawn as coloured cells, row 0 at the top,
// with its own colour bar.
class HeatMap {
 public:
  // values in row-major order, values.size() == rows * cols, all finite.
  HeatMap(std::int64_t rows, std::int64_t cols, std::vector<double> values);
  // A 2-D floating tensor [rows, cols].
  static HeatMap from_tensor(const Tensor& matrix);

  HeatMap& title(std::string text);
  HeatMap& x_label(std::string text);  // along the columns
  HeatMap& y_label(std::string text);  // along the rows
  // One label per row / column (tokens, values). Without them the axes show
  // row and column indices. Column labels are turned upright when they do not
  // fit side by side; labels are thinned to every k-th when they would overlap.
  HeatMap& row_labels(std::vector<std::string> labels);
  HeatMap& col_labels(std::vector<std::string> labels);
  // The values mapped to the two ends of the colour map (default: the data's
  // min and max); values outside are drawn in the end colours.
  HeatMap& range(double lo, double hi);

  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  double at(std::int64_t r, std::int64_t c) const { return values_[r * cols_ + c]; }

  // A figure holding just this map.
  void save(const std::string& path, int width = 640, int height = 560) const;

 private:
  friend class HeatMapGrid;
  std::int64_t rows_, cols_;
  std::vector<double> values_;
  std::string title_, x_label_, y_label_;
  std::vector<std::string> row_labels_, col_labels_;
  std::optional<double> lo_, hi_;
};

// Several heat maps in one image, in a grid of equal panels filled row by row
// (e.g. the heads of one attention layer), under an optional figure title.
class HeatMapGrid {
 public:
  // columns: panels per grid row; 0 puts all maps in one row.
  explicit HeatMapGrid(std::string title = {}, int columns = 0);
  HeatMapGrid& add(HeatMap map);
  std::size_t size() const { return maps_.size(); }
  void save(const std::string& path, int width, int height) const;

 private:
  std::string title_;
  int columns_;
  std::vector<HeatMap> maps_;
};

// A grey image (0 black, 1 white) drawn twice side by side, the second time
// under a coarser grid of weights in the colour map, scaled from the smallest
// weight (clear) to the largest (most opaque): where a model looked, over what
// it saw (a ViT's [CLS] attention over its patches).
struct ImageOverlay {
  std::int64_t rows = 0, cols = 0;
  std::vector<double> pixels;  // rows x cols, in [0, 1]
  std::int64_t grid_rows = 0, grid_cols = 0;
  std::vector<double> weights;  // grid_rows x grid_cols, finite, >= 0
  std::string title, left_caption, right_caption;

  // pixel_size: screen pixels per image pixel.
  void save(const std::string& path, int pixel_size = 10) const;
};

}  // namespace qkv::plot
