// GEMM through qkv's kernel and matmul op against the BLAS library called
// directly, at the same sizes, so the overhead of each layer is visible.

#include <benchmark/benchmark.h>

#include "core/creation.h"
#include "kernels/blas.h"
#include "kernels/gemm.h"
#include "ops/matmul.h"

namespace {

using namespace qkv;

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void BM_BlasSgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Tensor a = randn({n, n}), b = randn({n, n}), c = zeros({n, n});
  const auto& lib = kernels::blas::library();
  for (auto _ : state)
    lib.sgemm(kernels::blas::kRowMajor, kernels::blas::kNoTrans, kernels::blas::kNoTrans, n, n, n,
              1.f, a.data<float>(), n, b.data<float>(), n, 0.f, c.data<float>(), n);
  set_flops(state, 2.0 * n * n * n);
  state.SetLabel(lib.core_name);
}

void BM_KernelGemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Tensor a = randn({n, n}), b = randn({n, n}), c = zeros({n, n});
  kernels::GemmShape s{false, false, n, n, n, n, n, n};
  for (auto _ : state)
    kernels::gemm<float>(s, 1.f, a.data<float>(), b.data<float>(), 0.f, c.data<float>());
  set_flops(state, 2.0 * n * n * n);
}

void BM_Matmul(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  Tensor a = randn({n, n}), b = randn({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b));
  set_flops(state, 2.0 * n * n * n);
}

BENCHMARK(BM_BlasSgemm)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_KernelGemm)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Matmul)->Arg(256)->Arg(1024)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
