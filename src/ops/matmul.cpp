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

Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  const std::int64_t k = a.shape().back();
  check(b.shape()[b.dim() - 2] == k, "matmul: shapes ", a.shape(), " and ", b.shape(),
        " do not chain (", k, " vs ", b.shape()[b.dim() - 2], ")");
  if (b.dim() == 2) {
    // Fold a's batch dims into its rows: one large GEMM instead of many small ones.
    const Tensor a2 = view::reshape(a, {-1, k});
    Shape out_shape = a.shape();
    out_shape.back() = b.shape()[1];
    return view::reshape(batched_product(a2, b), out_shape);
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
  // Vectors become matrices, as in torch.matmul, through differentiable views.
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  Tensor out = matmul_forward(a, b);
  return autograd::record("matmul", out, {a, b}, [a, b](const auto& c) {
    const Tensor& g = c.grad();
    Tensor ga, gb;
    if (c.needs(0)) ga = sum_to(matmul_forward(g, view::transpose(b, -1, -2)), a.shape());
    if (c.needs(1)) {
      if (b.dim() == 2) {
        const std::int64_t k = a.shape().back(), n = b.shape()[1];
        gb = matmul_forward(view::transpose(view::reshape(a, {-1, k}), 0, 1),
                            view::reshape(g, {-1, n}));
      } else {
        gb = sum_to(matmul_forward(view::transpose(a, -1, -2), g), b.shape());
      }
    }
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace qkv
