#include "io/plot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/creation.h"

namespace qkv::plot {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class PlotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("qkv_plot_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::size_t files_in_dir() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }
  fs::path dir_;
};

struct PngHeader {
  bool signature_ok = false;
  std::uint32_t width = 0, height = 0;
};

// Reads the 8-byte signature and the IHDR chunk that must follow it.
PngHeader read_png_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 24> b{};
  in.read(reinterpret_cast<char*>(b.data()), b.size());
  PngHeader h;
  if (in.gcount() != static_cast<std::streamsize>(b.size())) return h;
  const std::array<unsigned char, 8> sig = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  h.signature_ok = std::equal(sig.begin(), sig.end(), b.begin()) &&
                   std::string(b.begin() + 12, b.begin() + 16) == "IHDR";
  const auto be32 = [&](int at) {
    return std::uint32_t(b[at]) << 24 | std::uint32_t(b[at + 1]) << 16 |
           std::uint32_t(b[at + 2]) << 8 | std::uint32_t(b[at + 3]);
  };
  h.width = be32(16);
  h.height = be32(20);
  return h;
}

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = lo + (hi - lo) * i / (n - 1);
  return v;
}

TEST_F(PlotTest, LinePlotWritesPngOfRequestedSize) {
  const auto x = linspace(0, 5, 60);
  std::vector<double> y1, y2;
  for (double v : x) y1.push_back(std::sin(v)), y2.push_back(0.5 * std::cos(v));
  LinePlot plot;
  plot.title("sin and cos").x_label("x").y_label("y");
  plot.add({"truth", x, y1, Draw::dashed, std::nullopt});
  plot.line("cos / 2", x, y2);
  plot.scatter("samples", {0.5, 1.5, 2.5}, {0.4, 1.0, 0.6});
  plot.save(path("lines.png"), 640, 400);
  const PngHeader h = read_png_header(path("lines.png"));
  EXPECT_TRUE(h.signature_ok);
  EXPECT_EQ(h.width, 640u);
  EXPECT_EQ(h.height, 400u);
  EXPECT_EQ(files_in_dir(), 1u) << "a temporary file was left behind";
}

TEST_F(PlotTest, ConstantSeriesAndUnlabelledSeriesStillDraw) {
  // A zero y range and a single point must not divide by zero or lose the axes.
  LinePlot plot;
  plot.line("", {0, 1, 2}, {3, 3, 3}).scatter("", {7}, {7});
  plot.save(path("flat.png"), 300, 200);
  EXPECT_EQ(read_png_header(path("flat.png")).width, 300u);
}

TEST_F(PlotTest, HeatMapGridWritesPngOfRequestedSize) {
  std::vector<double> a(6 * 40), b(6 * 40);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = double(i % 40) / 40, b[i] = double(i) / 7;
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) tokens.push_back("token" + std::to_string(i));
  HeatMapGrid grid("two heads", 1);
  grid.add(HeatMap(6, 40, a)
               .title("head 0")
               .x_label("keys")
               .y_label("queries")
               .col_labels(tokens)
               .row_labels({"a", "b", "c", "d", "e", "f"})
               .range(0, 1));
  grid.add(HeatMap(6, 40, b).title("head 1"));
  EXPECT_EQ(grid.size(), 2u);
  grid.save(path("grid.png"), 700, 900);
  const PngHeader h = read_png_header(path("grid.png"));
  EXPECT_TRUE(h.signature_ok);
  EXPECT_EQ(h.width, 700u);
  EXPECT_EQ(h.height, 900u);
}

TEST_F(PlotTest, SingleHeatMapFromTensorAndOverwrite) {
  const Tensor m = from_vector(std::vector<double>{0, 0.25, 0.5, 1}, {2, 2}, DType::f64);
  const HeatMap map = HeatMap::from_tensor(m);
  EXPECT_EQ(map.rows(), 2);
  EXPECT_EQ(map.at(1, 0), 0.5);
  map.save(path("one.png"), 320, 240);
  map.save(path("one.png"), 400, 300);  // replaces the first image
  const PngHeader h = read_png_header(path("one.png"));
  EXPECT_TRUE(h.signature_ok);
  EXPECT_EQ(h.width, 400u);
  EXPECT_EQ(h.height, 300u);
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(PlotTest, UnwritablePathThrowsNamingItAndLeavesNothing) {
  LinePlot plot;
  plot.line("a", {0, 1}, {0, 1});
  const std::string bad = path("no/such/dir/plot.png");
  try {
    plot.save(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  // A directory as the target: the temporary file must be removed again.
  fs::create_directories(dir_ / "taken.png");
  EXPECT_THROW(plot.save(path("taken.png")), Error);
  EXPECT_EQ(files_in_dir(), 1u);
}

TEST_F(PlotTest, BadDataThrows) {
  EXPECT_THROW(LinePlot().save(path("empty.png")), Error);
  EXPECT_THROW(LinePlot().line("a", {}, {}), Error);
  EXPECT_THROW(LinePlot().line("a", {0, 1}, {0}), Error);
  EXPECT_THROW(LinePlot().line("a", {0, 1}, {0, NAN}), Error);
  LinePlot ok;
  ok.line("a", {0, 1}, {0, 1});
  EXPECT_THROW(ok.save(path("tiny.png"), 50, 50), Error);

  EXPECT_THROW(HeatMap(2, 3, {1, 2, 3}), Error);
  EXPECT_THROW(HeatMap(0, 3, {}), Error);
  EXPECT_THROW(HeatMap(1, 2, {0, INFINITY}), Error);
  EXPECT_THROW(HeatMap(1, 2, {0, 1}).row_labels({"a", "b"}), Error);
  EXPECT_THROW(HeatMap(1, 2, {0, 1}).col_labels({"a"}), Error);
  EXPECT_THROW(HeatMap(1, 2, {0, 1}).range(1, 1), Error);
  EXPECT_THROW(HeatMap::from_tensor(zeros({2, 2, 2})), Error);
  EXPECT_THROW(HeatMapGrid().save(path("none.png"), 300, 300), Error);
  EXPECT_EQ(files_in_dir(), 0u);
}

TEST(Colormap, RunsFromDarkToLightAndClampsEnds) {
  // Perceptually ordered: relative luminance rises monotonically along the map.
  const auto luminance = [](Color c) { return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b; };
  double previous = -1;
  for (int i = 0; i <= 100; ++i) {
    const double l = luminance(colormap(i / 100.0));
    EXPECT_GT(l, previous) << "at t = " << i / 100.0;
    previous = l;
  }
  EXPECT_EQ(colormap(-3).r, colormap(0).r);
  EXPECT_EQ(colormap(7).g, colormap(1).g);
  EXPECT_NE(series_color(0).r, series_color(1).r);
  EXPECT_EQ(series_color(0).b, series_color(10).b);
}

}  // namespace
}  // namespace qkv::plot
