#pragma once
// How any trainer is run: where its run directory is (train/run_directory.h),
// whether it continues an interrupted run, and where its human output goes.

#include <filesystem>
#include <functional>
#include <string>

namespace qkv::train {

struct TrainOptions {
  std::filesystem::path out;  // the run directory
  // Continue from out/last.safetensors: the config must be the one the run
  // started with but for the length of training.
  bool resume = false;
  // Receives every line of human output (progress, validation, files).
  std::function<void(const std::string&)> print;
};

}  // namespace qkv::train
