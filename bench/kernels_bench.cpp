// Row kernels (softmax, log-softmax, layer norm, cross-entropy) through the
// differentiable ops, forward alone and forward + backward through the autograd
// engine, at the sizes of a Transformer's attention scores ([B h T, T]),
// activations ([B T, d]) and output logits ([B T, V]). The GB/s counter counts
// the bytes the operation must move at least (each input read once, each output
// written once), so it compares directly with the machine's memory bandwidth.
// bench/compare_pytorch.py runs these next to PyTorch.

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <tuple>

#include "autograd/engine.h"
#include "core/creation.h"
#include "ops/layer_norm.h"
#include "ops/loss.h"
#include "ops/softmax.h"

namespace {

using namespace qkv;

// Inputs are made once per shape: filling 500 MB takes longer than the
// operation, and Google Benchmark calls each function several times.
const Tensor& cached(const char* what, std::int64_t rows, std::int64_t cols, DType dtype) {
  static std::map<std::tuple<std::string, std::int64_t, std::int64_t>, Tensor> cache;
  auto [it, fresh] = cache.try_emplace({what, rows, cols});
  if (fresh && dtype == DType::i64) {
    // Class targets [rows] spread over [0, cols).
    it->second = Tensor::empty({rows}, DType::i64);
    std::int64_t* t = it->second.data<std::int64_t>();
    for (std::int64_t r = 0; r < rows; ++r) t[r] = (r * 7919) % cols;
  } else if (fresh) {
    Generator gen(static_cast<std::uint64_t>(rows * 31 + cols));
    it->second = randn({rows, cols}, dtype, gen);
  }
  return it->second;
}

void set_bytes(benchmark::State& state, double bytes_per_iter) {
  state.counters["GB/s"] = benchmark::Counter(bytes_per_iter * double(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

// Forward + backward of a [rows, cols] -> [rows, cols] op: y = f(x), then
// backward(y, dy) accumulates x.grad, which is dropped before the next round.
template <class F>
void forward_backward(benchmark::State& state, F f) {
  const std::int64_t rows = state.range(0), cols = state.range(1);
  Tensor x = cached("x", rows, cols, DType::f32);
  const Tensor& dy = cached("dy", rows, cols, DType::f32);
  x.set_requires_grad(true);
  for (auto _ : state) {
    autograd::backward(f(x), dy);
    x.set_grad(Tensor());
  }
  x.set_requires_grad(false);
  // Forward reads x and writes y; backward reads y (or x) and dy, writes dx.
  set_bytes(state, 5.0 * 4 * rows * cols);
}

void BM_Softmax(benchmark::State& state) {
  const std::int64_t rows = state.range(0), cols = state.range(1);
  const Tensor& x = cached("x", rows, cols, DType::f32);
  for (auto _ : state) benchmark::DoNotOptimize(softmax(x));
  set_bytes(state, 2.0 * 4 * rows * cols);
}

void BM_SoftmaxForwardBackward(benchmark::State& state) {
  forward_backward(state, [](const Tensor& x) { return softmax(x); });
}

void BM_LogSoftmax(benchmark::State& state) {
  const std::int64_t rows = state.range(0), cols = state.range(1);
  const Tensor& x = cached("x", rows, cols, DType::f32);
  for (auto _ : state) benchmark::DoNotOptimize(log_softmax(x));
  set_bytes(state, 2.0 * 4 * rows * cols);
}

void BM_LogSoftmaxForwardBackward(benchmark::State& state) {
  forward_backward(state, [](const Tensor& x) { return log_softmax(x); });
}

void BM_LayerNorm(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const Tensor& x = cached("x", rows, d, DType::f32);
  const Tensor w = ones({d}), b = zeros({d});
  for (auto _ : state) benchmark::DoNotOptimize(layer_norm(x, w, b));
  set_bytes(state, 2.0 * 4 * rows * d);
}

void BM_LayerNormForwardBackward(benchmark::State& state) {
  Tensor w = ones({state.range(1)}), b = zeros({state.range(1)});
  w.set_requires_grad(true);
  b.set_requires_grad(true);
  forward_backward(state, [&](const Tensor& x) { return layer_norm(x, w, b); });
}

// Mean cross-entropy of logits [N, C] against int64 targets [N], and its backward.
void BM_CrossEntropyForwardBackward(benchmark::State& state) {
  const std::int64_t n = state.range(0), c = state.range(1);
  Tensor logits = cached("x", n, c, DType::f32);
  const Tensor& targets = cached("targets", n, c, DType::i64);
  logits.set_requires_grad(true);
  for (auto _ : state) {
    autograd::backward(cross_entropy(logits, targets));
    logits.set_grad(Tensor());
  }
  logits.set_requires_grad(false);
  // Forward reads the logits; backward reads them again and writes their gradient.
  set_bytes(state, 3.0 * 4 * n * c);
}

// Rows of 1024 (attention scores [B h Tq, Tk], activations [B T, d]) and
// B 64 x T 256 rows of V 8000 logits; layer norm also at d 512 activations.
#define QKV_ROWS_BENCH(fn)     \
  BENCHMARK(fn)                \
      ->Args({8192, 1024})     \
      ->Args({64 * 256, 8000}) \
      ->UseRealTime()          \
      ->Unit(benchmark::kMillisecond)
QKV_ROWS_BENCH(BM_Softmax);
QKV_ROWS_BENCH(BM_SoftmaxForwardBackward);
QKV_ROWS_BENCH(BM_LogSoftmax);
QKV_ROWS_BENCH(BM_LogSoftmaxForwardBackward);
QKV_ROWS_BENCH(BM_LayerNorm)->Args({64 * 256, 512});
QKV_ROWS_BENCH(BM_LayerNormForwardBackward)->Args({64 * 256, 512});
QKV_ROWS_BENCH(BM_CrossEntropyForwardBackward);
#undef QKV_ROWS_BENCH

}  // namespace
