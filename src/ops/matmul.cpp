#include "ops/matmul.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/gemm.h"
#include "ops/checks.h"
#include "ops/shape.h"

namespace qkv {

namespace {

// How BLAS reads one operand: a base pointer offset, whether it is stored
// transposed, its leading dimension and the step between batch matrices.
struct Operand {
  Tensor t;  // keeps the data alive; possibly a dense copy
  bool trans = false;
  std::int64_t ld = 0, batch_stride = 0;
};

// The one stride that steps through the batch dims [0, rank - 2) in row-major
// order, or -1 when no single stride does (a copy is needed then).
std::int64_t batch_stride(const Tensor& t) {
  std::vector<std::pair<std::int64_t, std::int64_t>> dims;  // (size, stride) of dims > 1
  for (std::int64_t d = 0; d + 2 < t.dim(); ++d)
    if (t.shape()[d] != 1) dims.emplace_back(t.shape()[d], t.strides()[d]);
  bool all_zero = true;
  for (auto [size, stride] : dims) all_zero = all_zero && stride == 0;
  if (all_zero) return 0;
  for (std::size_t j = 0; j + 1 < dims.size(); ++j)
    if (dims[j].second != dims[j + 1].second * dims[j + 1].first) return -1;
  return dims.back().second == 0 ? -1 : dims.back().second;
}

Operand as_operand(const Tensor& t) {
  const std::int64_t rows = t.shape()[t.dim() - 2], cols = t.shape()[t.dim() - 1];
  const std::int64_t sr = t.strides()[t.dim() - 2], sc = t.strides()[t.dim() - 1];
  const std::int64_t bs = batch_stride(t);
  if (bs >= 0) {
    if ((sc == 1 || cols <= 1) && sr >= std::max<std::int64_t>(cols, 1)) return {t, false, sr, bs};
    if ((sr == 1 || rows <= 1) && sc >= std::max<std::int64_t>(rows, 1)) return {t, true, sc, bs};
  }
  Tensor c = view::clone(t);
  return {c, false, std::max<std::int64_t>(cols, 1), rows * cols};
}

// [batch.., M, K] x [batch.., K, N] with equal (already broadcast) batch dims.
Tensor batched_product(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.shape()[a.dim() - 2], k = a.shape()[a.dim() - 1];
  const std::int64_t n = b.shape()[b.dim() - 1];
  Shape out_shape(a.shape().begin(), a.shape().end() - 2);
  const std::int64_t batch = numel(out_shape);
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  const Operand oa = as_operand(a), ob = as_operand(b);
  kernels::GemmShape s{oa.trans, ob.trans, m, n, k, oa.ld, ob.ld, n};
  kernels::GemmBatch bt{batch, oa.batch_stride, ob.batch_stride, m * n};
  dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
    if (k == 0) {
      std::fill(out.data<T>(), out.data<T>() + out.numel(), T(0));
      return;
    }
    kernels::gemm<T>(s, T(1), oa.t.data<T>(), ob.t.data<T>(), T(0), out.data<T>(), bt);
  });
  return out;
}

// x [.., C] as a matrix [rows, C]; spelled out because -1 cannot be inferred when C = 0.
Tensor as_rows(const Tensor& x) {
  const std::int64_t cols = x.shape().back();
  const std::int64_t rows = numel(Shape(x.shape().begin(), x.shape().end() - 1));
  return view::reshape(x, {rows, cols});
}

// a [.., M, K] x b [.., K, N] -> [.., M, N]; shapes already checked.
Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  if (b.dim() == 2) {
    // Fold a's batch dims into its rows: one large GEMM instead of many small ones.
    Shape out_shape = a.shape();
    out_shape.back() = b.shape()[1];
    return view::reshape(batched_product(as_rows(a), b), out_shape);
  }
  const Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                       Shape(b.shape().begin(), b.shape().end() - 2));
  Shape sa = batch, sb = batch;
  sa.insert(sa.end(), a.shape().end() - 2, a.shape().end());
  sb.insert(sb.end(), b.shape().end() - 2, b.shape().end());
  return batched_product(view::expand(a, sa), view::expand(b, sb));
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::require_floating(a, "matmul", "a");
  detail::require_floating(b, "matmul", "b");
  detail::require_same_dtype(a, b, "matmul");
  check(a.dim() >= 1 && b.dim() >= 1, "matmul: 0-dim operand (shapes ", a.shape(), " and ",
        b.shape(), ")");
  const std::int64_t ka = a.shape().back(), kb = b.dim() == 1 ? b.shape()[0] : b.size(-2);
  check(ka == kb, "matmul: shapes ", a.shape(), " and ", b.shape(), " do not chain (", ka, " vs ",
        kb, ")");
  if (a.dim() > 2 && b.dim() > 2) {
    const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
    const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
    for (std::size_t i = 1; i <= std::min(batch_a.size(), batch_b.size()); ++i) {
      const std::int64_t da = batch_a[batch_a.size() - i], db = batch_b[batch_b.size() - i];
      check(da == db || da == 1 || db == 1, "matmul: batch dims of shapes ", a.shape(), " and ",
            b.shape(), " do not broadcast");
    }
  }
  // Vectors become matrices, as in torch.matmul, through differentiable views.
  // b first: for two vectors, a's case then squeezes a [1] result to a scalar.
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  Tensor out = matmul_forward(a, b);
  return autograd::record("matmul", out, {a, b}, [a, b](const auto& c) {
    const Tensor& g = c.grad();
    Tensor ga, gb;
    if (c.needs(0)) ga = sum_to(matmul_forward(g, view::transpose(b, -1, -2)), a.shape());
    if (c.needs(1)) {
      if (b.dim() == 2) {
        gb = matmul_forward(view::transpose(as_rows(a), 0, 1), as_rows(g));
      } else {
        gb = sum_to(matmul_forward(view::transpose(a, -1, -2), g), b.shape());
      }
    }
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace qkv
