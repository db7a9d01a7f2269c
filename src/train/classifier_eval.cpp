#include "train/classifier_eval.h"

#include <algorithm>
#include <cstdio>

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/error.h"
#include "data/data_path.h"
#include "data/image_augment.h"
#include "ops/loss.h"
#include "ops/reduce.h"

namespace qkv::train {

data::ImageSet read_image_split(const ClassificationConfig& c, const std::string& split,
                                std::int64_t limit) {
  const std::string images = split + "-images-idx3-ubyte.gz",
                    labels = split + "-labels-idx1-ubyte.gz";
  const std::string dir = data::find_data_set(c.data.dataset, {images, labels});
  data::ImageSet set = data::read_idx_images(dir + "/" + images, dir + "/" + labels, limit);
  check(set.rows == c.model.image_size && set.cols == c.model.image_size, dir, "/", images,
        ": images are ", set.rows, " x ", set.cols, ", the model takes ", c.model.image_size, " x ",
        c.model.image_size);
  for (std::int64_t i = 0; i < set.count; ++i)
    check(set.labels[i] >= 0 && set.labels[i] < c.model.num_classes, dir, "/", labels, ": label ",
          set.labels[i], " of image ", i, " is outside the ", c.model.num_classes, " classes");
  return set;
}

ClassifierScore evaluate_classifier(models::VisionTransformer& model, const data::ImageSet& set,
                                    const std::vector<std::int64_t>& indices,
                                    const ClassificationConfig& c) {
  check(!indices.empty(), "evaluate_classifier: no images to evaluate");
  autograd::NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const std::int64_t k = c.model.num_classes, n = static_cast<std::int64_t>(indices.size());
  ClassifierScore s;
  s.confusion.assign(static_cast<std::size_t>(k * k), 0);
  double total = 0;
  std::int64_t right = 0;
  for (std::int64_t at = 0; at < n; at += c.training.eval_batch) {
    const std::int64_t end = std::min(n, at + c.training.eval_batch);
    const std::vector<std::int64_t> batch(indices.begin() + at, indices.begin() + end);
    std::vector<std::int64_t> labels;
    for (auto i : batch) labels.push_back(set.labels[i]);
    const Tensor logits =
        model.forward(data::normalised_images(set, batch, c.data.mean, c.data.std));
    const Tensor target = from_vector(labels, {end - at});
    total += cross_entropy(logits, target).item<double>() * double(end - at);
    const auto pred = argmax(logits, 1).to_vector<std::int64_t>();
    for (std::size_t i = 0; i < pred.size(); ++i) {
      right += pred[i] == labels[i];
      ++s.confusion[labels[i] * k + pred[i]];
    }
  }
  model.train(was_training);
  s.count = n;
  s.loss = total / double(n);
  s.accuracy = double(right) / double(n);
  return s;
}

std::string confusion_table(const ClassifierScore& s, const ClassificationConfig& c) {
  const std::int64_t k = c.model.num_classes;
  std::size_t width = 6;
  for (std::int64_t i = 0; i < k; ++i) width = std::max(width, class_name(c, i).size() + 1);
  const std::string corner = "true \\ predicted";
  const std::size_t first = std::max(width, corner.size() + 1);
  auto cell = [](const std::string& text, std::size_t w) {
    return std::string(w > text.size() ? w - text.size() : 1, ' ') + text;
  };
  std::string out = cell(corner, first);
  for (std::int64_t j = 0; j < k; ++j) out += cell(class_name(c, j), width);
  out += "\n";
  for (std::int64_t i = 0; i < k; ++i) {
    out += cell(class_name(c, i), first);
    for (std::int64_t j = 0; j < k; ++j) out += cell(std::to_string(s.confusion[i * k + j]), width);
    out += "\n";
  }
  return out;
}

}  // namespace qkv::train
