// `qkv classify --model DIR IMAGE...`: runs a trained image classifier on
// picture files (read as grey and scaled to the model's size; --invert for dark
// strokes on a light ground, since MNIST's are light on dark) and prints the
// three most likely classes of each. --attention DIR also draws, per image,
// where the [CLS] token of the last layer looked: its attention over the
// patches, averaged over heads, laid over the image.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "autograd/grad_mode.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/view.h"
#include "data/image_augment.h"
#include "io/image_file.h"
#include "io/plot.h"
#include "ops/reduce.h"
#include "ops/softmax.h"
#include "train/run_directory.h"

namespace qkv::cli {

namespace {

struct ClassifyCommand {
  std::string model, attention;
  std::vector<std::string> images;
  bool invert = false;
};

void run(const ClassifyCommand& cmd) {
  namespace fs = std::filesystem;
  const auto files = train::load_image_classifier(cmd.model);
  const auto& c = files.config;
  const std::int64_t side = c.model.image_size;
  data::ImageSet set;
  set.rows = set.cols = side;
  for (const auto& path : cmd.images) {
    const GreyImage image = resized(read_grey_image(path), side, side);
    for (auto p : image.pixels) set.pixels.push_back(cmd.invert ? 255 - p : p);
    set.labels.push_back(0);
    ++set.count;
  }
  std::vector<std::int64_t> all(static_cast<std::size_t>(set.count));
  std::iota(all.begin(), all.end(), 0);
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> weights;
  const Tensor logits =
      files.model->forward(data::normalised_images(set, all, c.data.mean, c.data.std), &weights);
  const auto probs = softmax(logits, -1).to_vector<float>();
  const std::int64_t k = c.model.num_classes, grid = c.model.image_size / c.model.patch_size;
  // [B, h, N + 1, N + 1] -> the [CLS] row, mean over heads: [B, N + 1].
  const auto cls = mean(view::select(weights.back(), 2, 0), {1}).to_vector<float>();
  if (!cmd.attention.empty()) {
    std::error_code ec;
    fs::create_directories(cmd.attention, ec);
    check(!ec && fs::is_directory(cmd.attention), "classify: cannot create '", cmd.attention, "'");
  }
  for (std::int64_t i = 0; i < set.count; ++i) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    const float* p = probs.data() + i * k;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] > p[b]; });
    std::printf("%s:", cmd.images[i].c_str());
    for (std::int64_t r = 0; r < std::min<std::int64_t>(3, k); ++r)
      std::printf("  %s %.1f%%", train::class_name(c, order[r]).c_str(), 100 * p[order[r]]);
    std::printf("\n");
    if (cmd.attention.empty()) continue;
    plot::ImageOverlay fig;
    fig.rows = fig.cols = side;
    for (std::int64_t j = 0; j < side * side; ++j)
      fig.pixels.push_back(set.pixels[i * side * side + j] / 255.0);
    fig.grid_rows = fig.grid_cols = grid;
    const float* row = cls.data() + i * (grid * grid + 1);
    fig.weights.assign(row + 1, row + 1 + grid * grid);  // the patches, without [CLS] itself
    fig.title = "predicted " + train::class_name(c, order[0]);
    fig.left_caption = "input (" + std::to_string(side) + " x " + std::to_string(side) + ")";
    fig.right_caption = "[CLS] attention, last layer, mean of heads";
    const std::string out =
        (fs::path(cmd.attention) / (fs::path(cmd.images[i]).stem().string() + "-attention.png"))
            .string();
    fig.save(out);
    std::printf("  wrote %s\n", out.c_str());
  }
}

}  // namespace

void add_classify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "classify",
      "Classify image files with a trained image classifier (qkv train, task classification)");
  auto c = std::make_shared<ClassifyCommand>();
  cmd->add_option("--model", c->model, "Run directory written by qkv train")->required();
  cmd->add_option("images", c->images, "Image files (PNG, JPEG, BMP, ...)")->required();
  cmd->add_flag("--invert", c->invert, "Invert grey levels (dark strokes on a light ground)");
  cmd->add_option("--attention", c->attention,
                  "Directory for an attention image per input, drawn over the input");
  cmd->callback([c] { run(*c); });
}

}  // namespace qkv::cli
