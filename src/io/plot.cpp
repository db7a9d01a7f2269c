#include "io/plot.h"

#include "io/atomic_file.h"

#include <cairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numbers>
#include <tuple>
#include <utility>

namespace qkv::plot {

namespace {

constexpr const char* kFont = "DejaVu Sans";
constexpr double kTitleSize = 17, kLabelSize = 14, kTickSize = 12, kLegendSize = 12.5;
constexpr double kSubtitleSize = 14, kCellLabelSize = 11;
constexpr double kTickLength = 5, kPad = 14;
constexpr int kMinSide = 200, kMaxSide = 16384;

// matplotlib's viridis at t = 0, 1/8, ..., 1.
constexpr std::array<Color, 9> kViridis = {{{0.267, 0.005, 0.329},
                                            {0.278, 0.175, 0.483},
                                            {0.230, 0.322, 0.546},
                                            {0.173, 0.449, 0.558},
                                            {0.128, 0.567, 0.551},
                                            {0.158, 0.684, 0.502},
                                            {0.369, 0.789, 0.383},
                                            {0.678, 0.864, 0.190},
                                            {0.993, 0.906, 0.144}}};

constexpr std::array<Color, 10> kTab10 = {{{0.122, 0.467, 0.706},
                                           {1.000, 0.498, 0.055},
                                           {0.173, 0.627, 0.173},
                                           {0.839, 0.153, 0.157},
                                           {0.580, 0.404, 0.741},
                                           {0.549, 0.337, 0.294},
                                           {0.890, 0.467, 0.761},
                                           {0.498, 0.498, 0.498},
                                           {0.737, 0.741, 0.133},
                                           {0.090, 0.745, 0.812}}};

void check_size(const std::string& path, int width, int height) {
  check(width >= kMinSide && width <= kMaxSide && height >= kMinSide && height <= kMaxSide,
        "plot: '", path, "': image size ", width, "x", height, " pixels, expected each side in [",
        kMinSide, ", ", kMaxSide, "]");
}

void check_finite(const std::vector<double>& v, const std::string& what) {
  for (std::size_t i = 0; i < v.size(); ++i)
    check(std::isfinite(v[i]), "plot: ", what, " has a non-finite value (", v[i], ") at index ", i);
}

// Owns a cairo image surface and its context; draws text in DejaVu Sans.
class Canvas {
 public:
  Canvas(int width, int height)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)),
        cr_(cairo_create(surface_)) {
    check(cairo_status(cr_) == CAIRO_STATUS_SUCCESS, "plot: cannot create a ", width, "x", height,
          " image: ", cairo_status_to_string(cairo_status(cr_)));
    cairo_set_source_rgb(cr_, 1, 1, 1);
    cairo_paint(cr_);
  }
  ~Canvas() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() const { return cr_; }
  cairo_surface_t* surface() const { return surface_; }

  void font(double size, bool bold = false) {
    cairo_select_font_face(cr_, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  // Height of a line of text in the current font (ascent + descent).
  double line_height() const {
    cairo_font_extents_t fe;
    cairo_font_extents(cr_, &fe);
    return fe.ascent + fe.descent;
  }
  double text_width(const std::string& s) const {
    cairo_text_extents_t te;
    cairo_text_extents(cr_, s.c_str(), &te);
    return te.x_advance;
  }
  double max_width(const std::vector<std::string>& texts) const {
    double w = 0;
    for (const auto& s : texts) w = std::max(w, text_width(s));
    return w;
  }
  // Draws s so that (x, y) is at fraction (ax, ay) of its box (0 = left/top,
  // 1 = right/bottom), the box turned by `angle` radians about (x, y).
  void text(const std::string& s, double x, double y, double ax, double ay, double angle = 0) {
    cairo_font_extents_t fe;
    cairo_font_extents(cr_, &fe);
    cairo_save(cr_);
    cairo_translate(cr_, x, y);
    cairo_rotate(cr_, angle);
    cairo_move_to(cr_, -ax * text_width(s), -ay * (fe.ascent + fe.descent) + fe.ascent);
    cairo_show_text(cr_, s.c_str());
    cairo_restore(cr_);
  }
  void color(const Color& c, double alpha = 1) { cairo_set_source_rgba(cr_, c.r, c.g, c.b, alpha); }
  void grey(double v) { cairo_set_source_rgb(cr_, v, v, v); }
  // A 1-pixel line between pixel centres, crisp on the pixel grid.
  void hairline(double x0, double y0, double x1, double y1) {
    cairo_set_line_width(cr_, 1);
    cairo_move_to(cr_, std::round(x0) + 0.5, std::round(y0) + 0.5);
    cairo_line_to(cr_, std::round(x1) + 0.5, std::round(y1) + 0.5);
    cairo_stroke(cr_);
  }
  void frame(double x, double y, double w, double h) {
    cairo_set_line_width(cr_, 1);
    cairo_rectangle(cr_, std::round(x) + 0.5, std::round(y) + 0.5, std::round(w), std::round(h));
    cairo_stroke(cr_);
  }

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

// Collects cairo's PNG stream into a buffer; cairo calls this from C, so it
// must not throw.
cairo_status_t append_bytes(void* buffer, const unsigned char* data, unsigned int length) {
  auto* bytes = static_cast<std::string*>(buffer);
  try {
    bytes->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    return CAIRO_STATUS_NO_MEMORY;
  }
  return CAIRO_STATUS_SUCCESS;
}

// Encodes the PNG in memory, then replaces the target atomically, so readers
// see either the old file or the whole new one.
void write_png(const Canvas& canvas, const std::string& path) {
  check(!path.empty(), "plot: empty output path");
  std::string png;
  const cairo_status_t st = cairo_surface_write_to_png_stream(canvas.surface(), append_bytes, &png);
  check(st == CAIRO_STATUS_SUCCESS, "plot: cannot encode '", path,
        "': ", cairo_status_to_string(st));
  try {
    write_file_atomically(path, [&](AtomicFileOutput& out) { out.write(png); });
  } catch (const Error& e) {
    fail("plot: cannot write '", path, "': ", e.what());
  }
}

// A step of 1, 2 or 5 x 10^k giving about `target` intervals over [lo, hi].
double nice_step(double lo, double hi, double target) {
  const double raw = (hi - lo) / std::max(target, 1.0);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / mag;
  return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

std::vector<double> ticks_with_step(double lo, double hi, double step) {
  std::vector<double> ticks;
  const double eps = step * 1e-9;
  for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < eps ? 0.0 : v);
  }
  return ticks;
}

std::string format_tick(double v, double step) {
  char buf[48];
  if (std::max(std::abs(v), step) >= 1e6 || step < 1e-4) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

std::vector<std::string> format_ticks(const std::vector<double>& ticks, double step) {
  std::vector<std::string> labels;
  for (double t : ticks) labels.push_back(format_tick(t, step));
  return labels;
}

// [lo, hi] widened by `frac` of its span on each side; a single value gets a unit span.
std::pair<double, double> padded(double lo, double hi, double frac) {
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(lo))) {
    const double half = std::max(0.5, 0.1 * std::abs(lo));
    return {lo - half, hi + half};
  }
  const double d = (hi - lo) * frac;
  return {lo - d, hi + d};
}

// The smallest of 1, 2, 5, 10, 20, 50, ... that is >= k: every how many labels to show.
std::int64_t label_stride(double k) {
  for (std::int64_t m = 1;; m *= 10)
    for (std::int64_t s : {1, 2, 5})
      if (static_cast<double>(s * m) >= k) return s * m;
}

// Draws one series' polyline or markers; the caller has set the clip.
void draw_series(Canvas& cv, const Series& s, const Color& c, auto&& px, auto&& py) {
  cairo_t* cr = cv.cr();
  cairo_new_path(cr);  // text leaves a current point that a path would join
  if (s.draw == Draw::markers) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      cairo_new_sub_path(cr);
      cairo_arc(cr, px(s.x[i]), py(s.y[i]), 3.6, 0, 2 * std::numbers::pi);
      cv.color(c, 0.75);
      cairo_fill_preserve(cr);
      cv.color({c.r * 0.7, c.g * 0.7, c.b * 0.7});
      cairo_set_line_width(cr, 0.8);
      cairo_stroke(cr);
    }
    return;
  }
  cairo_save(cr);
  if (s.draw == Draw::dashed) {
    const double dash[] = {7, 4};
    cairo_set_dash(cr, dash, 2, 0);
  }
  cairo_set_line_width(cr, 2.2);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (std::size_t i = 0; i < s.x.size(); ++i)
    (i == 0 ? cairo_move_to : cairo_line_to)(cr, px(s.x[i]), py(s.y[i]));
  if (s.x.size() == 1) cairo_rel_line_to(cr, 0, 0);
  cv.color(c);
  cairo_stroke(cr);
  cairo_restore(cr);
}

}  // namespace

Color series_color(std::size_t i) { return kTab10[i % kTab10.size()]; }

Color colormap(double t) {
  t = std::isnan(t) ? 0 : std::clamp(t, 0.0, 1.0);
  const double pos = t * (kViridis.size() - 1);
  const std::size_t i = std::min(static_cast<std::size_t>(pos), kViridis.size() - 2);
  const double f = pos - static_cast<double>(i);
  const Color &a = kViridis[i], &b = kViridis[i + 1];
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

// ---- LinePlot ----

LinePlot& LinePlot::title(std::string text) {
  title_ = std::move(text);
  return *this;
}
LinePlot& LinePlot::x_label(std::string text) {
  x_label_ = std::move(text);
  return *this;
}
LinePlot& LinePlot::y_label(std::string text) {
  y_label_ = std::move(text);
  return *this;
}

LinePlot& LinePlot::add(Series series) {
  const std::string name = "series '" + series.label + "'";
  check(!series.x.empty(), "plot: ", name, " has no points");
  check(series.x.size() == series.y.size(), "plot: ", name, " has ", series.x.size(),
        " x values but ", series.y.size(), " y values");
  check_finite(series.x, name + " x");
  check_finite(series.y, name + " y");
  series_.push_back(std::move(series));
  return *this;
}

LinePlot& LinePlot::line(std::string label, std::vector<double> x, std::vector<double> y) {
  return add({std::move(label), std::move(x), std::move(y), Draw::line, std::nullopt});
}

LinePlot& LinePlot::scatter(std::string label, std::vector<double> x, std::vector<double> y) {
  return add({std::move(label), std::move(x), std::move(y), Draw::markers, std::nullopt});
}

void LinePlot::save(const std::string& path, int width, int height) const {
  check(!series_.empty(), "plot: '", path, "': a line plot needs at least one series");
  check_size(path, width, height);
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const auto& s : series_) {
    const auto [x0, x1] = std::minmax_element(s.x.begin(), s.x.end());
    const auto [y0, y1] = std::minmax_element(s.y.begin(), s.y.end());
    xlo = std::min(xlo, *x0), xhi = std::max(xhi, *x1);
    ylo = std::min(ylo, *y0), yhi = std::max(yhi, *y1);
  }
  std::tie(xlo, xhi) = padded(xlo, xhi, 0.03);
  std::tie(ylo, yhi) = padded(ylo, yhi, 0.06);

  Canvas cv(width, height);
  cv.font(kTitleSize, true);
  const double title_h = title_.empty() ? 0 : cv.line_height() + 8;
  cv.font(kLabelSize);
  const double label_h = cv.line_height();
  cv.font(kTickSize);
  const double tick_h = cv.line_height();

  // Vertical layout first; it fixes the y ticks, whose widths fix the left margin.
  const double top = kPad + title_h;
  const double bottom = kPad + (x_label_.empty() ? 0 : label_h + 4) + tick_h + kTickLength + 4;
  const double plot_h = height - top - bottom;
  check(plot_h >= 40, "plot: '", path, "': height ", height, " leaves no room for the plot");
  const double ystep = nice_step(ylo, yhi, plot_h / 55);
  const auto yticks = ticks_with_step(ylo, yhi, ystep);
  const auto ylabels = format_ticks(yticks, ystep);
  const double left =
      kPad + (y_label_.empty() ? 0 : label_h + 8) + cv.max_width(ylabels) + 4 + kTickLength;
  const double xstep = nice_step(xlo, xhi, (width - left - kPad) / 100);
  const auto xticks = ticks_with_step(xlo, xhi, xstep);
  const auto xlabels = format_ticks(xticks, xstep);
  const double right = std::max(kPad, cv.text_width(xlabels.back()) / 2 + 4);
  const double plot_w = width - left - right;
  check(plot_w >= 40, "plot: '", path, "': width ", width, " leaves no room for the plot");

  const auto px = [&](double x) { return left + (x - xlo) / (xhi - xlo) * plot_w; };
  const auto py = [&](double y) { return top + plot_h - (y - ylo) / (yhi - ylo) * plot_h; };
  cairo_t* cr = cv.cr();

  // Grid, ticks and tick labels.
  for (std::size_t i = 0; i < yticks.size(); ++i) {
    const double y = py(yticks[i]);
    cv.grey(0.9);
    cv.hairline(left, y, left + plot_w, y);
    cv.grey(0.3);
    cv.hairline(left - kTickLength, y, left, y);
    cv.grey(0.15);
    cv.text(ylabels[i], left - kTickLength - 4, std::round(y) + 0.5, 1, 0.5);
  }
  for (std::size_t i = 0; i < xticks.size(); ++i) {
    const double x = px(xticks[i]);
    cv.grey(0.9);
    cv.hairline(x, top, x, top + plot_h);
    cv.grey(0.3);
    cv.hairline(x, top + plot_h, x, top + plot_h + kTickLength);
    cv.grey(0.15);
    cv.text(xlabels[i], std::round(x) + 0.5, top + plot_h + kTickLength + 3, 0.5, 0);
  }

  // Series, clipped to the plot area.
  cairo_save(cr);
  cairo_rectangle(cr, left, top, plot_w, plot_h);
  cairo_clip(cr);
  for (std::size_t i = 0; i < series_.size(); ++i)
    draw_series(cv, series_[i], series_[i].color.value_or(series_color(i)), px, py);
  cairo_restore(cr);
  cv.grey(0.3);
  cv.frame(left, top, plot_w, plot_h);

  // Titles.
  cv.grey(0.1);
  if (!title_.empty()) {
    cv.font(kTitleSize, true);
    cv.text(title_, left + plot_w / 2, kPad - 2, 0.5, 0);
  }
  cv.font(kLabelSize);
  if (!x_label_.empty()) cv.text(x_label_, left + plot_w / 2, height - kPad, 0.5, 1);
  if (!y_label_.empty()) cv.text(y_label_, kPad, top + plot_h / 2, 0.5, 0, -std::numbers::pi / 2);

  // Legend, in the corner that hides the fewest data points.
  std::vector<std::size_t> entries;
  for (std::size_t i = 0; i < series_.size(); ++i)
    if (!series_[i].label.empty()) entries.push_back(i);
  if (entries.empty()) return write_png(cv, path);
  cv.font(kLegendSize);
  const double row_h = cv.line_height() * 1.35, sample_w = 28;
  double text_w = 0;
  for (std::size_t i : entries) text_w = std::max(text_w, cv.text_width(series_[i].label));
  const double box_w = 10 + sample_w + 8 + text_w + 10;
  const double box_h = static_cast<double>(entries.size()) * row_h + 10;
  const double inset = 10;
  check(box_w + 2 * inset <= plot_w && box_h + 2 * inset <= plot_h, "plot: '", path, "': a ", width,
        "x", height, " image has no room for the legend (", entries.size(), " entries, longest ",
        text_w, " pixels wide)");
  const std::array<std::pair<double, double>, 4> corners = {{
      {left + plot_w - inset - box_w, top + inset},
      {left + inset, top + inset},
      {left + plot_w - inset - box_w, top + plot_h - inset - box_h},
      {left + inset, top + plot_h - inset - box_h},
  }};
  std::size_t best = 0, best_hidden = SIZE_MAX;
  for (std::size_t k = 0; k < corners.size(); ++k) {
    const auto [bx, by] = corners[k];
    std::size_t hidden = 0;
    for (const auto& s : series_)
      for (std::size_t i = 0; i < s.x.size(); ++i) {
        const double x = px(s.x[i]), y = py(s.y[i]);
        hidden += x >= bx - 4 && x <= bx + box_w + 4 && y >= by - 4 && y <= by + box_h + 4;
      }
    if (hidden < best_hidden) best = k, best_hidden = hidden;
  }
  const auto [bx, by] = corners[best];
  cairo_rectangle(cr, std::round(bx) + 0.5, std::round(by) + 0.5, std::round(box_w),
                  std::round(box_h));
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_fill_preserve(cr);
  cv.grey(0.75);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (std::size_t e = 0; e < entries.size(); ++e) {
    const Series& s = series_[entries[e]];
    const double cy = by + 5 + (static_cast<double>(e) + 0.5) * row_h;
    Series sample{{}, {0, 1}, {cy, cy}, s.draw, {}};
    if (s.draw == Draw::markers) sample.x = {0.5}, sample.y = {cy};
    draw_series(
        cv, sample, s.color.value_or(series_color(entries[e])),
        [&](double t) { return bx + 10 + t * sample_w; }, [](double y) { return y; });
    cv.grey(0.1);
    cv.text(s.label, bx + 10 + sample_w + 8, cy, 0, 0.5);
  }
  write_png(cv, path);
}

// ---- HeatMap ----

HeatMap::HeatMap(std::int64_t rows, std::int64_t cols, std::vector<double> values)
    : rows_(rows), cols_(cols), values_(std::move(values)) {
  check(rows > 0 && cols > 0, "heat map: expected at least one row and column, got ", rows, "x",
        cols);
  check(static_cast<std::int64_t>(values_.size()) == rows * cols, "heat map: ", rows, "x", cols,
        " cells but ", values_.size(), " values");
  check_finite(values_, "heat map");
}

HeatMap HeatMap::from_tensor(const Tensor& matrix) {
  check(matrix.dim() == 2, "heat map: expected a 2-D tensor [rows, cols], got shape ",
        matrix.shape());
  check(is_floating(matrix.dtype()), "heat map: expected a floating tensor, got ",
        dtype_name(matrix.dtype()));
  return HeatMap(matrix.size(0), matrix.size(1), matrix.to_vector<double>());
}

HeatMap& HeatMap::title(std::string text) {
  title_ = std::move(text);
  return *this;
}
HeatMap& HeatMap::x_label(std::string text) {
  x_label_ = std::move(text);
  return *this;
}
HeatMap& HeatMap::y_label(std::string text) {
  y_label_ = std::move(text);
  return *this;
}
HeatMap& HeatMap::row_labels(std::vector<std::string> labels) {
  check(static_cast<std::int64_t>(labels.size()) == rows_, "heat map: ", labels.size(),
        " row labels for ", rows_, " rows");
  row_labels_ = std::move(labels);
  return *this;
}
HeatMap& HeatMap::col_labels(std::vector<std::string> labels) {
  check(static_cast<std::int64_t>(labels.size()) == cols_, "heat map: ", labels.size(),
        " column labels for ", cols_, " columns");
  col_labels_ = std::move(labels);
  return *this;
}
HeatMap& HeatMap::range(double lo, double hi) {
  check(std::isfinite(lo) && std::isfinite(hi) && lo < hi,
        "heat map: colour range needs finite lo < hi, got [", lo, ", ", hi, "]");
  lo_ = lo, hi_ = hi;
  return *this;
}

void HeatMap::save(const std::string& path, int width, int height) const {
  HeatMapGrid().add(*this).save(path, width, height);
}

namespace {

// The labels of an axis with n cells: the given ones, or indices at nice steps.
struct AxisLabels {
  std::vector<std::int64_t> at;  // cell indices that get a label
  std::vector<std::string> text;
};

AxisLabels axis_labels(const std::vector<std::string>& given, std::int64_t n, double cell,
                       double room_per_label) {
  AxisLabels a;
  if (given.empty()) {
    const double step = std::max(
        1.0, nice_step(0, std::max<double>(n - 1, 1), std::max(1.0, cell * n / room_per_label)));
    for (double v : ticks_with_step(0, static_cast<double>(n - 1), step)) {
      a.at.push_back(static_cast<std::int64_t>(v));
      a.text.push_back(format_tick(v, step));
    }
    return a;
  }
  const std::int64_t stride = label_stride(room_per_label / cell);
  for (std::int64_t i = 0; i < n; i += stride) {
    a.at.push_back(i);
    a.text.push_back(given[i]);
  }
  return a;
}

// What one panel shows, gathered by HeatMapGrid (which sees HeatMap's fields).
struct Panel {
  const HeatMap& m;
  const std::string &title, &x_label, &y_label;
  const std::vector<std::string>&row_text, &col_text;
  double lo, hi;  // colour range
};

// Draws the panel into the rectangle (x0, y0, w, h).
void draw_heat_map(Canvas& cv, const Panel& p, double x0, double y0, double w, double h) {
  const auto& [m, title, x_label, y_label, row_text, col_text, lo, hi] = p;
  cairo_t* cr = cv.cr();
  const double pad = 8, bar_w = 14, bar_gap = 12;
  cv.font(kSubtitleSize, true);
  const double top = y0 + pad + (title.empty() ? 0 : cv.line_height() + 6);
  cv.font(kLabelSize);
  const double label_h = cv.line_height();
  cv.font(kCellLabelSize);
  const double tick_h = cv.line_height();

  // Horizontal layout: y label | row labels | matrix | colour bar | bar labels.
  const double bar_step_max = nice_step(lo, hi, 8);
  const double bar_labels_w =
      cv.max_width(format_ticks(ticks_with_step(lo, hi, bar_step_max), bar_step_max));
  const double row_w =
      row_text.empty() ? cv.text_width(std::to_string(m.rows() - 1)) : cv.max_width(row_text);
  const double left = x0 + pad + (y_label.empty() ? 0 : label_h + 6) + row_w + 4 + kTickLength;
  const double right = x0 + w - pad - bar_labels_w - 4 - kTickLength - bar_w - bar_gap;
  const double mat_w = right - left;
  const double cell_w = mat_w / static_cast<double>(m.cols());

  // Column labels side by side when they all fit, otherwise upright and thinned.
  bool upright = false;
  AxisLabels cols;
  if (col_text.empty()) {
    cols = axis_labels(col_text, m.cols(), cell_w, 60);
  } else {
    const double widest = cv.max_width(col_text);
    upright = widest + 6 > cell_w;
    cols = axis_labels(col_text, m.cols(), cell_w, upright ? tick_h + 2 : widest + 6);
  }
  const double cols_h = upright ? cv.max_width(cols.text) : tick_h;
  const double bottom =
      y0 + h - pad - (x_label.empty() ? 0 : label_h + 4) - cols_h - 3 - kTickLength;
  const double mat_h = bottom - top;
  check(mat_w >= 8 && mat_h >= 8, "heat map: a ", w, "x", h, " pixel panel leaves no room for the ",
        m.rows(), "x", m.cols(), " cells");
  const double cell_h = mat_h / static_cast<double>(m.rows());
  const AxisLabels rows = axis_labels(row_text, m.rows(), cell_h, row_text.empty() ? 40 : tick_h);

  // The cells: one pixel per cell, scaled up without smoothing.
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(m.cols()),
                                                    static_cast<int>(m.rows()));
  check(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS, "heat map: cannot allocate ", m.rows(),
        "x", m.cols(), " cells");
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> owner(img,
                                                                           cairo_surface_destroy);
  cairo_surface_flush(img);
  unsigned char* data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  for (std::int64_t r = 0; r < m.rows(); ++r) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + r * stride);
    for (std::int64_t c = 0; c < m.cols(); ++c) {
      const Color col = colormap((m.at(r, c) - lo) / (hi - lo));
      const auto byte = [](double v) { return static_cast<std::uint32_t>(std::lround(v * 255)); };
      row[c] = byte(col.r) << 16 | byte(col.g) << 8 | byte(col.b);
    }
  }
  cairo_surface_mark_dirty(img);
  cairo_save(cr);
  cairo_rectangle(cr, left, top, mat_w, mat_h);
  cairo_clip(cr);
  cairo_translate(cr, left, top);
  cairo_scale(cr, cell_w, cell_h);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
  cairo_paint(cr);
  cairo_restore(cr);
  cv.grey(0.3);
  cv.frame(left, top, mat_w, mat_h);

  // Row and column labels with their ticks.
  cv.font(kCellLabelSize);
  for (std::size_t k = 0; k < rows.at.size(); ++k) {
    const double y = top + (static_cast<double>(rows.at[k]) + 0.5) * cell_h;
    cv.grey(0.3);
    cv.hairline(left - kTickLength, y, left, y);
    cv.grey(0.15);
    cv.text(rows.text[k], left - kTickLength - 3, std::round(y) + 0.5, 1, 0.5);
  }
  for (std::size_t k = 0; k < cols.at.size(); ++k) {
    const double x = left + (static_cast<double>(cols.at[k]) + 0.5) * cell_w;
    cv.grey(0.3);
    cv.hairline(x, bottom, x, bottom + kTickLength);
    cv.grey(0.15);
    if (upright)
      cv.text(cols.text[k], std::round(x) + 0.5, bottom + kTickLength + 3, 1, 0.5,
              -std::numbers::pi / 2);
    else
      cv.text(cols.text[k], std::round(x) + 0.5, bottom + kTickLength + 3, 0.5, 0);
  }

  // Colour bar: a gradient through the colour map's anchors, with value ticks.
  const double bx = right + bar_gap;
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, bottom, 0, top);
  for (std::size_t i = 0; i < kViridis.size(); ++i) {
    const double t = static_cast<double>(i) / (kViridis.size() - 1);
    cairo_pattern_add_color_stop_rgb(grad, t, kViridis[i].r, kViridis[i].g, kViridis[i].b);
  }
  cairo_rectangle(cr, bx, top, bar_w, mat_h);
  cairo_set_source(cr, grad);
  cairo_fill(cr);
  cairo_pattern_destroy(grad);
  cv.grey(0.3);
  cv.frame(bx, top, bar_w, mat_h);
  const double bar_step = nice_step(lo, hi, std::clamp(mat_h / 45, 2.0, 8.0));
  const auto bar_ticks = ticks_with_step(lo, hi, bar_step);
  for (double t : bar_ticks) {
    const double y = bottom - (t - lo) / (hi - lo) * mat_h;
    cv.grey(0.3);
    cv.hairline(bx + bar_w, y, bx + bar_w + kTickLength, y);
    cv.grey(0.15);
    cv.text(format_tick(t, bar_step), bx + bar_w + kTickLength + 3, std::round(y) + 0.5, 0, 0.5);
  }

  // Titles.
  cv.grey(0.1);
  if (!title.empty()) {
    cv.font(kSubtitleSize, true);
    cv.text(title, left + mat_w / 2, y0 + pad, 0.5, 0);
  }
  cv.font(kLabelSize);
  if (!x_label.empty()) cv.text(x_label, left + mat_w / 2, y0 + h - pad, 0.5, 1);
  if (!y_label.empty()) cv.text(y_label, x0 + pad, top + mat_h / 2, 0.5, 0, -std::numbers::pi / 2);
}

}  // namespace

// ---- HeatMapGrid ----

HeatMapGrid::HeatMapGrid(std::string title, int columns)
    : title_(std::move(title)), columns_(columns) {
  check(columns >= 0, "heat map grid: columns must be >= 0, got ", columns);
}

HeatMapGrid& HeatMapGrid::add(HeatMap map) {
  maps_.push_back(std::move(map));
  return *this;
}

void HeatMapGrid::save(const std::string& path, int width, int height) const {
  check(!maps_.empty(), "heat map grid: '", path, "': no heat maps to draw");
  check_size(path, width, height);
  const int n = static_cast<int>(maps_.size());
  const int ncols = columns_ == 0 ? n : std::min(columns_, n);
  const int nrows = (n + ncols - 1) / ncols;
  Canvas cv(width, height);
  cv.font(kTitleSize, true);
  // A title wider than the image (one small panel) is set smaller to fit.
  const double room = width - 2 * kPad, wide = cv.text_width(title_);
  if (wide > room) cv.font(std::max(8.0, kTitleSize * room / wide), true);
  const double title_h = title_.empty() ? 0 : cv.line_height() + kPad;
  if (!title_.empty()) {
    cv.grey(0.1);
    cv.text(title_, width / 2.0, kPad - 4, 0.5, 0);
  }
  const double pw = static_cast<double>(width) / ncols;
  const double ph = (height - title_h) / nrows;
  for (int i = 0; i < n; ++i) {
    const HeatMap& m = maps_[i];
    double lo = m.lo_.value_or(*std::min_element(m.values_.begin(), m.values_.end()));
    double hi = m.hi_.value_or(*std::max_element(m.values_.begin(), m.values_.end()));
    if (!m.lo_) std::tie(lo, hi) = padded(lo, hi, 0);
    const Panel panel{m, m.title_, m.x_label_, m.y_label_, m.row_labels_, m.col_labels_, lo, hi};
    draw_heat_map(cv, panel, (i % ncols) * pw, title_h + (i / ncols) * ph, pw, ph);
  }
  write_png(cv, path);
}

void ImageOverlay::save(const std::string& path, int pixel_size) const {
  check(rows > 0 && cols > 0 && std::int64_t(pixels.size()) == rows * cols, "image overlay: '",
        path, "': ", pixels.size(), " pixels for a ", rows, " x ", cols, " image");
  check(grid_rows > 0 && grid_cols > 0 && std::int64_t(weights.size()) == grid_rows * grid_cols,
        "image overlay: '", path, "': ", weights.size(), " weights for a ", grid_rows, " x ",
        grid_cols, " grid");
  check(pixel_size > 0 && pixel_size * std::max(rows, cols) <= 4096, "image overlay: '", path,
        "': pixel size ", pixel_size, " for a ", rows, " x ", cols, " image");
  double lo = 1e300, hi = -1e300;
  for (double w : weights) {
    check(std::isfinite(w) && w >= 0, "image overlay: '", path, "': weight ", w,
          " is not a finite non-negative value");
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  const double iw = double(cols * pixel_size), ih = double(rows * pixel_size);
  const double band = kTitleSize + 2 * kPad, caption = kLabelSize + kPad;
  const int width = static_cast<int>(2 * iw + 3 * kPad);
  const int height = static_cast<int>(band + ih + caption + kPad);
  Canvas cv(width, height);
  cv.font(kTitleSize, true);
  cv.grey(0.1);
  cv.text(title, width / 2.0, kPad, 0.5, 0);
  cairo_t* cr = cv.cr();
  for (int panel = 0; panel < 2; ++panel) {
    const double x0 = kPad + panel * (iw + kPad), y0 = band;
    for (std::int64_t y = 0; y < rows; ++y)
      for (std::int64_t x = 0; x < cols; ++x) {
        cv.grey(std::clamp(pixels[y * cols + x], 0.0, 1.0));
        cairo_rectangle(cr, x0 + double(x * pixel_size), y0 + double(y * pixel_size), pixel_size,
                        pixel_size);
        cairo_fill(cr);
      }
    if (panel == 1 && hi > lo) {
      const double cw = iw / double(grid_cols), ch = ih / double(grid_rows);
      for (std::int64_t gy = 0; gy < grid_rows; ++gy)
        for (std::int64_t gx = 0; gx < grid_cols; ++gx) {
          const double t = (weights[gy * grid_cols + gx] - lo) / (hi - lo);
          cv.color(colormap(t), 0.75 * t);
          cairo_rectangle(cr, x0 + double(gx) * cw, y0 + double(gy) * ch, cw, ch);
          cairo_fill(cr);
        }
    }
    cv.grey(0.4);
    cv.frame(x0, y0, iw, ih);
    cv.font(kLabelSize);
    cv.grey(0.2);
    cv.text(panel == 0 ? left_caption : right_caption, x0 + iw / 2, y0 + ih + kPad / 2, 0.5, 0);
  }
  write_png(cv, path);
}

}  // namespace qkv::plot
