#include "nn/kernel_regression.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/engine.h"
#include "core/creation.h"
#include "ops/arith.h"
#include "ops/reduce.h"
#include "ops/shape.h"
#include "ops/softmax.h"

namespace qkv::nn {

NadarayaWatson::NadarayaWatson(Tensor w) : w_(std::move(w)) {
  check(w_.shape() == Shape{1} && is_floating(w_.dtype()),
        "NadarayaWatson: w must be a floating tensor of shape [1], got ", w_.shape(), " ",
        dtype_name(w_.dtype()));
}

NadarayaWatson NadarayaWatson::nonparametric(DType dtype) {
  return NadarayaWatson(ones({1}, dtype));
}

NadarayaWatson NadarayaWatson::parametric(double w_init, DType dtype) {
  Tensor w = full({1}, w_init, dtype);
  w.set_requires_grad(true);
  return NadarayaWatson(w);
}

Tensor NadarayaWatson::forward(const Tensor& queries, const Tensor& keys, const Tensor& values) {
  // queries [n], keys [n, m], values [n, m] -> [n]
  check(queries.dim() == 1 && keys.dim() == 2 && keys.size(0) == queries.size(0),
        "NadarayaWatson: expected queries [n] and keys [n, m], got ", queries.shape(), " and ",
        keys.shape());
  check(values.shape() == keys.shape(), "NadarayaWatson: values ", values.shape(),
        " must have the keys' shape ", keys.shape());
  check(queries.dtype() == w_.dtype() && keys.dtype() == w_.dtype() && values.dtype() == w_.dtype(),
        "NadarayaWatson: expected ", dtype_name(w_.dtype()), " inputs, got queries ",
        dtype_name(queries.dtype()), ", keys ", dtype_name(keys.dtype()), ", values ",
        dtype_name(values.dtype()));
  const Tensor scaled = mul(sub(unsqueeze(queries, 1), keys), w_);  // [n, m]
  const Tensor weights = softmax(affine(square(scaled), -0.5, 0), -1);
  weights_ = autograd::detach(weights);
  return sum(mul(weights, values), {-1});
}

double kernel_regression_truth(double x) { return 2 * std::sin(x) + std::pow(x, 0.8); }

KernelRegressionData make_kernel_regression_data(Generator& gen, std::int64_t n_train,
                                                 DType dtype) {
  check(n_train >= 2, "kernel regression data: need at least 2 training points, got ", n_train);
  std::vector<double> x = rand({n_train}, 0, 5, DType::f64, gen).to_vector<double>();
  std::sort(x.begin(), x.end());
  const std::vector<double> noise = randn({n_train}, DType::f64, gen).to_vector<double>();
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = kernel_regression_truth(x[i]) + 0.5 * noise[i];

  const std::int64_t n_test = 50;
  std::vector<double> x_test(n_test), y_test(n_test);
  for (std::int64_t i = 0; i < n_test; ++i) {
    x_test[i] = 0.1 * static_cast<double>(i);
    y_test[i] = kernel_regression_truth(x_test[i]);
  }
  return {from_vector(x, {n_train}, dtype), from_vector(y, {n_train}, dtype),
          from_vector(x_test, {n_test}, dtype), from_vector(y_test, {n_test}, dtype)};
}

LeaveOneOut leave_one_out(const Tensor& x, const Tensor& y) {
  check(x.dim() == 1 && x.shape() == y.shape() && x.size(0) >= 2,
        "leave_one_out: expected x and y of one shape [n] with n >= 2, got ", x.shape(), " and ",
        y.shape());
  const std::int64_t n = x.size(0);
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
  std::vector<double> keys, values;
  keys.reserve(n * (n - 1));
  values.reserve(n * (n - 1));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      if (j != i) {
        keys.push_back(xv[j]);
        values.push_back(yv[j]);
      }
  return {from_vector(keys, {n, n - 1}, x.dtype()), from_vector(values, {n, n - 1}, y.dtype())};
}

}  // namespace qkv::nn
