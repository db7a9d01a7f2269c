#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"

namespace qkv::autograd {

namespace {

double weighted_sum(const Tensor& y, const std::vector<double>& r) {
  std::vector<double> v = y.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * r[i];
  return s;
}

// Reads or writes element i (logical order) of a dense floating tensor.
double get(const Tensor& t, std::int64_t i) {
  return t.dtype() == DType::f64 ? t.data<double>()[i] : t.data<float>()[i];
}
void set(const Tensor& t, std::int64_t i, double v) {
  if (t.dtype() == DType::f64)
    t.data<double>()[i] = v;
  else
    t.data<float>()[i] = static_cast<float>(v);
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                          GradcheckOptions options) {
  // Work on dense leaf copies so perturbing an element is a plain write.
  std::vector<Tensor> xs;
  for (const auto& in : inputs) {
    if (!in.defined() || !is_floating(in.dtype())) {
      xs.push_back(in);
      continue;
    }
    Tensor c = view::clone(in);
    c.set_requires_grad(in.requires_grad());
    xs.push_back(c);
  }
  Tensor y = f(xs);
  check(y.requires_grad(), "gradcheck: the output does not depend on any input requiring grad");
  Generator gen(options.seed);
  Tensor r = randn(y.shape(), DType::f64, gen);
  std::vector<double> rv = r.to_vector<double>();
  backward(y, view::to_dtype(r, y.dtype()));

  GradcheckResult result;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const Tensor& x = xs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    Tensor analytic = x.grad();
    check(analytic.defined(), "gradcheck: input ", k, " got no gradient");
    std::vector<double> a = analytic.to_vector<double>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      double orig = get(x, i);
      double fp, fm;
      {
        NoGradGuard ng;
        set(x, i, orig + options.eps);
        fp = weighted_sum(f(xs), rv);
        set(x, i, orig - options.eps);
        fm = weighted_sum(f(xs), rv);
        set(x, i, orig);
      }
      double numeric = (fp - fm) / (2 * options.eps);
      double err = std::abs(numeric - a[i]);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (err > options.atol + options.rtol * std::abs(numeric) && result.ok) {
        result.ok = false;
        std::ostringstream os;
        os << "input " << k << " element " << i << ": analytic " << a[i] << ", numeric "
           << numeric << " (|diff| " << err << ")";
        result.message = os.str();
      }
    }
  }
  return result;
}

}  // namespace qkv::autograd
