#pragma once
// The kernel-regression job (SPEC section 1): Nadaraya-Watson attention pooling
// fitted to the synthetic 1-D set, run by `qkv kernel-regression` and `qkv demo`.

#include <cstdint>
#include <string>
#include <vector>

namespace qkv::cli {

struct KernelRegressionOptions {
  std::uint64_t seed = 0;
  int epochs = 20;                            // full-batch gradient steps on w
  double lr = 0.5;                            // step size
  std::string out = "out/kernel-regression";  // directory for the images and metrics
};

struct KernelRegressionResult {
  std::vector<double> losses;  // training loss of each epoch, before its step
  double w = 0;                // the learned w
  double test_mse_nonparametric = 0, test_mse_parametric = 0;
  std::vector<std::string> files;  // what was written, images first
};

// Generates the data from the seed, fits w on the leave-one-out training set
// (printing loss and w per epoch), prints both forms' test MSE against the true
// curve and writes the fit plot, the attention heat maps and JSON-lines metrics.
KernelRegressionResult run_kernel_regression(const KernelRegressionOptions& options);

}  // namespace qkv::cli
