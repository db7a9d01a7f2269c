// The fused Adam update against its scalar oracle over one large parameter,
// reported as parameters updated per second.

#include <benchmark/benchmark.h>

#include "core/creation.h"
#include "kernels/optim_update.h"

namespace {

using namespace qkv;

template <bool kFast>
void BM_AdamUpdate(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Tensor p = randn({n}), g = randn({n}), m = zeros({n}), v = zeros({n});
  const kernels::AdamConfig config{
      .lr = 1e-3, .weight_decay = 0.01, .decoupled_weight_decay = true};
  std::int64_t step = 0;
  for (auto _ : state) {
    ++step;
    if constexpr (kFast)
      kernels::adam_update<float>(n, p.data<float>(), g.data<float>(), m.data<float>(),
                                  v.data<float>(), config, step);
    else
      kernels::ref::adam_update<float>(n, p.data<float>(), g.data<float>(), m.data<float>(),
                                       v.data<float>(), config, step);
    benchmark::ClobberMemory();
  }
  state.counters["params/s"] =
      benchmark::Counter(static_cast<double>(n * state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_AdamUpdate<true>)->Name("BM_AdamUpdate")->Arg(1 << 20)->UseRealTime();
BENCHMARK(BM_AdamUpdate<false>)->Name("BM_AdamUpdateRef")->Arg(1 << 20)->UseRealTime();

}  // namespace
