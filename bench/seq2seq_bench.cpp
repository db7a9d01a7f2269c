// The encoder-decoder Transformer of the translation benchmark: d 256, 8 heads,
// 3 + 3 layers, d_ff 512, dropout 0.1, vocabulary 8000, batches of 128
// sentence pairs of 24 tokens, Adam. Times one training step (forward,
// backward, clipping, Adam) and greedy translation of 20-token sentences with
// the key/value cache at batch 1 and 64 (always 20 generated tokens: <eos> is
// banned, so every system does the same work). bench/seq2seq_pytorch.py runs
// the same in PyTorch, side by side.

#include <benchmark/benchmark.h>

#include <vector>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/rng.h"
#include "decode/search.h"
#include "decode/seq2seq_step.h"
#include "models/seq2seq.h"
#include "ops/loss.h"
#include "ops/shape.h"
#include "optim/adam.h"
#include "optim/clip.h"

namespace {

using namespace qkv;

constexpr std::int64_t kVocab = 8000, kLen = 24, kGenerated = 20;

models::Seq2SeqConfig config() {
  return {.src_vocab = kVocab,
          .tgt_vocab = kVocab,
          .d_model = 256,
          .num_heads = 8,
          .encoder_layers = 3,
          .decoder_layers = 3,
          .d_ff = 512,
          .dropout = 0.1,
          .attention_dropout = 0.1,
          .max_len = 256};
}

// Random ids of real tokens (no padding), shape [b, t].
Tensor ids(std::int64_t b, std::int64_t t, Generator& gen) {
  std::vector<std::int64_t> v(b * t);
  for (auto& x : v) x = 4 + static_cast<std::int64_t>(gen.next_u64() % (kVocab - 4));
  return from_vector(v, {b, t});
}

void BM_Seq2SeqTrainStep(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Generator gen(1);
  models::Seq2SeqTransformer model(config(), gen);
  model.train();
  optim::Adam adam(model.parameters(), {.lr = 1e-4, .beta1 = 0.9, .beta2 = 0.98, .eps = 1e-9});
  const Tensor src = ids(batch, kLen, gen), tgt_in = ids(batch, kLen, gen),
               tgt_out = ids(batch, kLen, gen);
  CrossEntropyOptions ce;
  ce.label_smoothing = 0.1;
  ce.ignore_index = 0;
  for (auto _ : state) {
    adam.zero_grad();
    const Tensor logits = model.forward(src, tgt_in);
    const Tensor loss = cross_entropy(reshape(logits, {-1, kVocab}), reshape(tgt_out, {-1}), ce);
    autograd::backward(loss);
    optim::clip_grad_norm(model.parameters(), 1.0);
    adam.step();
  }
  state.counters["target_tokens/s"] = benchmark::Counter(
      double(batch * kLen) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Seq2SeqGreedy(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Generator gen(2);
  models::Seq2SeqTransformer model(config(), gen);
  model.eval();
  const Tensor src = ids(batch, kGenerated, gen);
  decode::DecodingOptions o;
  o.min_length = kGenerated;  // no <eos> before 20 tokens: fixed work
  o.max_length = kGenerated;
  const std::vector<std::int64_t> limits(batch, kGenerated);
  for (auto _ : state) {
    decode::Seq2SeqStep step(model, src);
    benchmark::DoNotOptimize(decode::greedy_search(step, batch, limits, o));
  }
  state.counters["sentences/s"] = benchmark::Counter(double(batch) * double(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Seq2SeqTrainStep)->Arg(128)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Seq2SeqGreedy)->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
