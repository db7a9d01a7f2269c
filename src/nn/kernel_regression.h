#pragma once
// Nadaraya-Watson kernel regression: attention pooling on one dimension. Each
// query x takes a weighted mean of the values y_i, the weights a softmax over
// the keys x_i of a Gaussian kernel:
//   f(x) = sum_i softmax_i(-((x - x_i) w)^2 / 2) y_i.
// Non-parametric: w = 1, fixed. Parametric: w is a learnable scalar.
// Also the classic synthetic data set it is shown on (SPEC section 1).

#include <cstdint>

#include "core/rng.h"
#include "core/tensor.h"

namespace qkv::nn {

class NadarayaWatson {
 public:
  // w: shape [1], floating; it is trained when it requires a gradient.
  explicit NadarayaWatson(Tensor w);
  // w = 1, no gradient.
  static NadarayaWatson nonparametric(DType dtype = DType::f32);
  // w starts at w_init and requires a gradient.
  static NadarayaWatson parametric(double w_init, DType dtype = DType::f32);

  // queries [n], keys [n, m], values [n, m] -> [n]: query j pools row j.
  Tensor forward(const Tensor& queries, const Tensor& keys, const Tensor& values);

  // The bandwidth parameter, shape [1].
  const Tensor& w() const { return w_; }
  // The weights of the last forward [n, m] (rows sum to 1), cut from the graph.
  const Tensor& attention_weights() const { return weights_; }

 private:
  Tensor w_;
  Tensor weights_;
};

// The synthetic set: truth f(x) = 2 sin(x) + x^0.8.
struct KernelRegressionData {
  Tensor x_train, y_train;  // [n_train]; x ~ U(0, 5) sorted, y = f(x) + N(0, 0.5^2)
  Tensor x_test, y_test;    // [50]: x = 0, 0.1, ..., 4.9 and y = f(x) without noise
};

double kernel_regression_truth(double x);
KernelRegressionData make_kernel_regression_data(Generator& gen, std::int64_t n_train = 50,
                                                 DType dtype = DType::f32);

// Training pairs as attention inputs where each point attends to all the
// others: for x, y [n], keys and values are [n, n - 1], row i leaving out i.
struct LeaveOneOut {
  Tensor keys, values;
};
LeaveOneOut leave_one_out(const Tensor& x, const Tensor& y);

}  // namespace qkv::nn
