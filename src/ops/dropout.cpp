#include "ops/dropout.h"

#include "autograd/record.h"
#include "core/view.h"
#include "kernels/dropout.h"
#include "ops/checks.h"

namespace qkv {

namespace {

Tensor apply_mask(const Tensor& t, double p, std::uint64_t seed, std::uint64_t offset) {
  const Tensor tc = view::contiguous(t);
  Tensor out = Tensor::empty(t.shape(), t.dtype());
  dispatch_floating(t.dtype(), "dropout", [&]<class T>() {
    kernels::dropout<T>(tc.numel(), tc.data<T>(), p, seed, offset, out.data<T>());
  });
  return out;
}

}  // namespace

// x [..] -> y [..]. Each call reserves numel counters from gen; the backward
// regenerates the same mask from them.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  detail::require_floating(x, "dropout", "x");
  check(p >= 0 && p < 1, "dropout: probability ", p, " is outside [0, 1)");
  if (!training || p == 0) return x;
  const std::uint64_t seed = gen.seed();
  const std::uint64_t offset = gen.reserve(static_cast<std::uint64_t>(x.numel()));
  Tensor y = apply_mask(x, p, seed, offset);
  return autograd::record("dropout", y, {x}, [p, seed, offset](const auto& c) {
    return std::vector<Tensor>{apply_mask(c.grad(), p, seed, offset)};
  });
}

}  // namespace qkv
