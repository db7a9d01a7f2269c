#include "train/checkpoint_average.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "io/checkpoint.h"
#include "train/run_directory.h"

namespace qkv::train {
namespace {

namespace fs = std::filesystem;

Tensor filled(const Shape& shape, std::vector<double> values, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::f32) t.data<float>()[i] = static_cast<float>(values[i]);
    if (dtype == DType::f64) t.data<double>()[i] = values[i];
    if (dtype == DType::i64) t.data<std::int64_t>()[i] = static_cast<std::int64_t>(values[i]);
  }
  return t;
}

fs::path fresh_dir(const char* name) {
  const fs::path d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(CheckpointAverage, MeansEveryFloatTensorAndKeepsIntegers) {
  const fs::path d = fresh_dir("qkv_average");
  std::vector<fs::path> files;
  for (int k = 0; k < 3; ++k) {
    files.push_back((d / std::to_string(k)).replace_extension(".safetensors"));
    save_checkpoint(files.back(), {{"w", filled({2, 2}, {1.0 + k, 2.0, -3.0 * k, 0.5}, DType::f32)},
                                   {"b", filled({3}, {0.1 * k, 1e-9, 7}, DType::f64)},
                                   {"ids", filled({2}, {4, 5}, DType::i64)}});
  }
  const auto avg = average_checkpoints(files);
  ASSERT_EQ(avg.size(), 3u);
  EXPECT_EQ(avg.at("w").dtype(), DType::f32);
  EXPECT_EQ(avg.at("w").shape(), (Shape{2, 2}));
  EXPECT_EQ(avg.at("w").to_vector<float>(), (std::vector<float>{2.0f, 2.0f, -3.0f, 0.5f}));
  const auto b = avg.at("b").to_vector<double>();
  EXPECT_DOUBLE_EQ(b[0], 0.1);
  EXPECT_DOUBLE_EQ(b[1], 1e-9);
  EXPECT_DOUBLE_EQ(b[2], 7);
  EXPECT_EQ(avg.at("ids").to_vector<std::int64_t>(), (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(average_checkpoints({files[1]}).at("w").to_vector<float>(),
            (std::vector<float>{2.0f, 2.0f, -3.0f, 0.5f}));
}

void expect_refused(const std::vector<fs::path>& files, const std::string& fragment) {
  try {
    average_checkpoints(files);
    ADD_FAILURE() << "expected an error containing " << fragment;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(CheckpointAverage, RefusesCheckpointsOfDifferentModels) {
  const fs::path d = fresh_dir("qkv_average_bad");
  const fs::path a = d / "a.safetensors", shape = d / "shape.safetensors",
                 missing = d / "missing.safetensors", extra = d / "extra.safetensors",
                 ids = d / "ids.safetensors";
  const Tensor w = filled({2}, {1, 2}, DType::f32);
  const Tensor i = filled({1}, {3}, DType::i64);
  save_checkpoint(a, {{"w", w}, {"ids", i}});
  save_checkpoint(shape, {{"w", filled({1, 2}, {1, 2}, DType::f32)}, {"ids", i}});
  save_checkpoint(missing, {{"ids", i}});
  save_checkpoint(extra, {{"w", w}, {"ids", i}, {"v", w}});
  save_checkpoint(ids, {{"w", w}, {"ids", filled({1}, {4}, DType::i64)}});
  expect_refused({a, shape}, "shape.safetensors: tensor 'w' is float32 [1, 2] but float32 [2]");
  expect_refused({a, missing}, "missing.safetensors lacks tensor 'w'");
  expect_refused({a, extra}, "extra.safetensors holds tensor 'v'");
  expect_refused({a, ids}, "ids.safetensors: integer tensor 'ids' differs");
  expect_refused({}, "no checkpoints");
  expect_refused({a, d / "absent.safetensors"}, "absent.safetensors");
}

// A run keeps the weights of its last `keep` epochs, listed oldest first (by
// number: epoch 10 comes after epoch 9).
TEST(CheckpointAverage, RunKeepsItsLastEpochs) {
  const RunPaths paths(fresh_dir("qkv_keep_epochs"));
  const std::map<std::string, Tensor> weights{{"w", filled({1}, {1}, DType::f32)}};
  for (int epoch = 1; epoch <= 11; ++epoch) keep_epoch_model(paths, weights, epoch, 3, "{}");
  const auto kept = kept_epoch_models(paths);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].filename(), "epoch-9.safetensors");
  EXPECT_EQ(kept[1].filename(), "epoch-10.safetensors");
  EXPECT_EQ(kept[2].filename(), "epoch-11.safetensors");
  EXPECT_EQ(load_checkpoint(kept[2]).metadata.at("epoch"), "11");

  const RunPaths none(fresh_dir("qkv_keep_no_epochs"));
  keep_epoch_model(none, weights, 1, 0, "{}");
  EXPECT_TRUE(kept_epoch_models(none).empty());
}

}  // namespace
}  // namespace qkv::train
