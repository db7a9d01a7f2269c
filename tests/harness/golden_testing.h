#pragma once
// Helpers of the parity tests, which compare qkv with goldens that tools/
// scripts wrote from PyTorch as safetensors files.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "harness/tensor_testing.h"
#include "io/safetensors.h"
#include "nn/module.h"

namespace qkv::testing {

// The tensors whose names start with `prefix`, named without it.
inline nn::StateDict with_prefix(const SafetensorsFile& f, const std::string& prefix) {
  nn::StateDict out;
  for (const auto& [name, t] : f.tensors)
    if (name.starts_with(prefix)) out[name.substr(prefix.size())] = t;
  return out;
}

// max |got - want| <= tol * max(1, max |want|), printed so a run shows the margins.
inline void expect_close(const Tensor& got, const Tensor& want, double tol,
                         const std::string& what) {
  const double diff = max_abs_diff(got, want), scale = max_abs_diff(want, zeros(want.shape()));
  std::printf("  %-44s max |diff| %.2e  max |want| %.2e\n", what.c_str(), diff, scale);
  EXPECT_LE(diff, tol * std::max(1.0, scale)) << what;
}

}  // namespace qkv::testing
