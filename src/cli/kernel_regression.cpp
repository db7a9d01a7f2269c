// `qkv kernel-regression`: Nadaraya-Watson attention pooling on the synthetic
// 1-D set (SPEC section 1), non-parametric and with a learned bandwidth w.

#include "cli/kernel_regression.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "cli/commands.h"
#include "core/rng.h"
#include "io/plot.h"
#include "nn/kernel_regression.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "ops/shape.h"
#include "optim/sgd.h"

namespace qkv::cli {

namespace {

double mse(const Tensor& prediction, const Tensor& target) {
  return mean(square(sub(prediction, target))).item<double>();
}

std::vector<std::string> format_values(const std::vector<double>& v, const char* format) {
  std::vector<std::string> out;
  for (double x : v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, format, x);
    out.push_back(buf);
  }
  return out;
}

plot::HeatMap attention_map(const Tensor& weights, const std::string& title,
                            const std::vector<double>& x_test, const std::vector<double>& x_train) {
  plot::HeatMap map = plot::HeatMap::from_tensor(weights);
  const auto w = weights.to_vector<double>();
  map.range(0, *std::max_element(w.begin(), w.end()))  // weights are >= 0: the bar starts at 0
      .title(title)
      .x_label("training inputs (keys)")
      .y_label("test inputs (queries)")
      .row_labels(format_values(x_test, "%.1f"))
      .col_labels(format_values(x_train, "%.2f"));
  return map;
}

}  // namespace

KernelRegressionResult run_kernel_regression(const KernelRegressionOptions& options) {
  namespace fs = std::filesystem;
  check(options.epochs >= 1, "kernel-regression: --epochs must be at least 1, got ",
        options.epochs);
  check(std::isfinite(options.lr) && options.lr > 0,
        "kernel-regression: --lr must be a positive number, got ", options.lr);
  std::error_code ec;
  fs::create_directories(options.out, ec);
  check(!ec && fs::is_directory(options.out), "kernel-regression: cannot create output directory '",
        options.out, "': ", ec ? ec.message() : "a file of that name exists");
  const fs::path out(options.out);
  const std::string metrics_path = (out / "kernel-regression.jsonl").string();
  std::ofstream metrics(metrics_path, std::ios::trunc);
  check(metrics.good(), "kernel-regression: cannot write '", metrics_path, "'");

  Generator gen(options.seed);
  const nn::KernelRegressionData data = nn::make_kernel_regression_data(gen);
  const nn::LeaveOneOut loo = nn::leave_one_out(data.x_train, data.y_train);
  const std::int64_t n_train = data.x_train.size(0), n_test = data.x_test.size(0);
  std::printf("kernel regression: %lld training points, %lld test queries, seed %llu\n",
              static_cast<long long>(n_train), static_cast<long long>(n_test),
              static_cast<unsigned long long>(options.seed));

  // Fit w by full-batch gradient descent on the mean squared error, each
  // training point attending to all the others. w starts uniform in [0, 1).
  KernelRegressionResult result;
  nn::NadarayaWatson parametric = nn::NadarayaWatson::parametric(gen.next_uniform());
  const Tensor& w = parametric.w();
  std::printf("initial w %.4f, lr %g\n", w.item<double>(), options.lr);
  optim::SGD sgd({w}, options.lr);
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const Tensor loss =
        mean(square(sub(parametric.forward(data.x_train, loo.keys, loo.values), data.y_train)));
    sgd.zero_grad();
    autograd::backward(loss);
    sgd.step();
    const double l = loss.item<double>(), wv = w.item<double>();
    check(std::isfinite(l) && std::isfinite(wv), "kernel-regression: training diverged at epoch ",
          epoch, " (loss ", l, ", w ", wv, "); try a smaller --lr");
    result.losses.push_back(l);
    std::printf("epoch %3d  loss %.6f  w %.4f\n", epoch, l, wv);
    metrics << nlohmann::json{{"epoch", epoch}, {"loss", l}, {"w", wv}}.dump() << '\n';
  }
  result.w = w.item<double>();

  // Test queries attend to all training points.
  autograd::NoGradGuard no_grad;
  const Shape grid = {n_test, n_train};
  const Tensor keys = expand(unsqueeze(data.x_train, 0), grid);
  const Tensor values = expand(unsqueeze(data.y_train, 0), grid);
  nn::NadarayaWatson nonparametric = nn::NadarayaWatson::nonparametric();
  const Tensor fit_np = nonparametric.forward(data.x_test, keys, values);
  const Tensor fit_p = parametric.forward(data.x_test, keys, values);
  result.test_mse_nonparametric = mse(fit_np, data.y_test);
  result.test_mse_parametric = mse(fit_p, data.y_test);
  std::printf("test MSE non-parametric (w = 1):  %.6f\n", result.test_mse_nonparametric);
  std::printf("test MSE parametric (w = %.4f): %.6f\n", result.w, result.test_mse_parametric);
  metrics << nlohmann::json{{"test_mse_nonparametric", result.test_mse_nonparametric},
                            {"test_mse_parametric", result.test_mse_parametric}}
                 .dump()
          << '\n';
  metrics.close();
  check(metrics.good(), "kernel-regression: cannot write '", metrics_path, "'");

  const auto x_test = data.x_test.to_vector<double>();
  const auto x_train = data.x_train.to_vector<double>();
  char w_text[64];
  std::snprintf(w_text, sizeof w_text, "parametric (w = %.2f)", result.w);

  const std::string fit_path = (out / "kernel-regression-fit.png").string();
  plot::LinePlot fit;
  fit.title("Nadaraya-Watson kernel regression").x_label("x").y_label("y");
  fit.add({"truth 2 sin(x) + x^0.8", x_test, data.y_test.to_vector<double>(), plot::Draw::dashed,
           std::nullopt});
  fit.line("non-parametric (w = 1)", x_test, fit_np.to_vector<double>());
  fit.line(w_text, x_test, fit_p.to_vector<double>());
  fit.scatter("training points", x_train, data.y_train.to_vector<double>());
  fit.save(fit_path, 900, 560);

  const std::string attention_path = (out / "kernel-regression-attention.png").string();
  plot::HeatMapGrid maps("Attention weights: test queries x training keys");
  maps.add(
      attention_map(nonparametric.attention_weights(), "non-parametric (w = 1)", x_test, x_train));
  maps.add(attention_map(parametric.attention_weights(), w_text, x_test, x_train));
  maps.save(attention_path, 1300, 620);

  result.files = {fit_path, attention_path, metrics_path};
  return result;
}

void add_kernel_regression_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "kernel-regression",
      "Nadaraya-Watson attention pooling on a synthetic 1-D set: fit the bandwidth w, "
      "compare with the non-parametric form, plot the fits and attention weights");
  auto options = std::make_shared<KernelRegressionOptions>();
  cmd->add_option("--seed", options->seed, "Random seed for the data and the initial w")
      ->capture_default_str();
  cmd->add_option("--epochs", options->epochs, "Full-batch gradient steps on w")
      ->capture_default_str();
  cmd->add_option("--lr", options->lr, "Learning rate")->capture_default_str();
  cmd->add_option("--out", options->out, "Directory for the images and metrics")
      ->capture_default_str();
  cmd->callback([options] {
    const KernelRegressionResult result = run_kernel_regression(*options);
    for (const auto& f : result.files) std::printf("wrote %s\n", f.c_str());
  });
}

}  // namespace qkv::cli
