// Attention: the tiled kernel against the materialising reference, forward and
// forward + backward, at B = 1, h = 8, dh = 64, self-attention of length T,
// with and without the causal mask. Reports GFLOP/s (forward 4 B h T^2 dh,
// halved under the causal mask; backward 2.5 times the forward) and the peak
// resident memory of the benchmark (the high-water mark is reset before each).
//
// BM_FlashPeakMemory runs the tiled forward + backward once at T = 16384: run
// it alone (--benchmark_filter=FlashPeakMemory) so its peak is its own.

#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include <fstream>
#include <vector>

#include "core/creation.h"
#include "kernels/attention.h"

namespace {

using namespace qkv;

constexpr std::int64_t kHeads = 8, kHeadDim = 64;

// Linux resets the resident-set high-water mark (and ru_maxrss with it) on this write.
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

struct Problem {
  kernels::AttentionDims dims;
  kernels::AttentionMask<float> mask;
  kernels::AttentionDropout dropout;
  float scale;
  std::vector<float> q, k, v, o, lse, dout, dq, dk, dv;

  Problem(std::int64_t t, bool causal)
      : dims{1, kHeads, kHeads, t, t, kHeadDim, kHeadDim},
        scale(1 / std::sqrt(float(kHeadDim))),
        q(randn({kHeads * t * kHeadDim}).to_vector<float>()),
        k(randn({kHeads * t * kHeadDim}).to_vector<float>()),
        v(randn({kHeads * t * kHeadDim}).to_vector<float>()),
        o(q.size()),
        lse(kHeads * t),
        dout(randn({kHeads * t * kHeadDim}).to_vector<float>()),
        dq(q.size()),
        dk(k.size()),
        dv(v.size()) {
    mask.causal = causal;
  }

  double forward_flops() const {
    const double f = 4.0 * dims.batch * dims.heads * dims.q_len * dims.k_len * dims.head_dim;
    return mask.causal ? f / 2 : f;
  }
};

using Forward = void (*)(const kernels::AttentionDims&, float, const kernels::AttentionMask<float>&,
                         const kernels::AttentionDropout&, const float*, const float*, const float*,
                         float*, float*);

void forward(Problem& p, Forward fn) {
  fn(p.dims, p.scale, p.mask, p.dropout, p.q.data(), p.k.data(), p.v.data(), p.o.data(),
     p.lse.data());
}

void tiled_backward(Problem& p) {
  kernels::attention_backward<float>(p.dims, p.scale, p.mask, p.dropout, p.q.data(), p.k.data(),
                                     p.v.data(), p.o.data(), p.dout.data(), p.lse.data(),
                                     p.dq.data(), p.dk.data(), p.dv.data());
}

void reference_backward(Problem& p) {
  kernels::ref::attention_backward<float>(p.dims, p.scale, p.mask, p.dropout, p.q.data(),
                                          p.k.data(), p.v.data(), p.dout.data(), p.dq.data(),
                                          p.dk.data(), p.dv.data());
}

void report(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iter * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["peak_MiB"] = peak_rss_mib();
}

// Arguments: T, causal.
void BM_AttentionTiledForward(benchmark::State& state) {
  reset_peak_rss();
  Problem p(state.range(0), state.range(1));
  for (auto _ : state) forward(p, kernels::attention_forward<float>);
  report(state, p.forward_flops());
}

void BM_AttentionTiledForwardBackward(benchmark::State& state) {
  reset_peak_rss();
  Problem p(state.range(0), state.range(1));
  for (auto _ : state) {
    forward(p, kernels::attention_forward<float>);
    tiled_backward(p);
  }
  report(state, 3.5 * p.forward_flops());
}

void BM_AttentionReferenceForward(benchmark::State& state) {
  reset_peak_rss();
  Problem p(state.range(0), state.range(1));
  for (auto _ : state) forward(p, kernels::ref::attention_forward<float>);
  report(state, p.forward_flops());
}

void BM_AttentionReferenceForwardBackward(benchmark::State& state) {
  reset_peak_rss();
  Problem p(state.range(0), state.range(1));
  for (auto _ : state) {
    forward(p, kernels::ref::attention_forward<float>);
    reference_backward(p);
  }
  report(state, 3.5 * p.forward_flops());
}

void BM_FlashPeakMemory(benchmark::State& state) {
  reset_peak_rss();
  Problem p(state.range(0), false);
  for (auto _ : state) {
    forward(p, kernels::attention_forward<float>);
    tiled_backward(p);
  }
  report(state, 3.5 * p.forward_flops());
}

void tiled_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t causal : {0, 1})
    for (std::int64_t t : {512, 1024, 2048, 4096, 8192}) b->Args({t, causal});
  b->ArgNames({"T", "causal"})->UseRealTime()->Unit(benchmark::kMillisecond);
}

// The reference holds two T x T arrays of doubles per thread and runs at about
// 20 GFLOP/s, so it stops at T = 4096 (seconds per pass, 256 MiB per thread).
void reference_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t causal : {0, 1})
    for (std::int64_t t : {512, 1024, 2048, 4096}) b->Args({t, causal});
  b->ArgNames({"T", "causal"})->UseRealTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_AttentionTiledForward)->Apply(tiled_sizes);
BENCHMARK(BM_AttentionTiledForwardBackward)->Apply(tiled_sizes);
BENCHMARK(BM_AttentionReferenceForward)->Apply(reference_sizes);
BENCHMARK(BM_AttentionReferenceForwardBackward)->Apply(reference_sizes);
BENCHMARK(BM_FlashPeakMemory)->Arg(16384)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
