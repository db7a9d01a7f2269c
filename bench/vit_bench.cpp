// The Vision Transformer of the MNIST configs (configs/mnist_vit.json): 28 x 28
// grey images in 4 x 4 patches (49 + [CLS] tokens), d 64, 6 layers, 4 heads,
// MLP 128, dropout 0.1. Times one training step (forward, label-smoothed
// cross-entropy, backward, clipping, AdamW) on a batch of 128 images.
// bench/vit_pytorch.py runs the same in PyTorch, side by side.

#include <benchmark/benchmark.h>

#include <vector>

#include "autograd/engine.h"
#include "core/creation.h"
#include "core/rng.h"
#include "models/vision_transformer.h"
#include "ops/loss.h"
#include "optim/adam.h"
#include "optim/clip.h"

namespace {

using namespace qkv;

void BM_VitTrainStep(benchmark::State& state) {
  const std::int64_t batch = state.range(0);
  Generator gen(1);
  models::VisionTransformer model({.image_size = 28,
                                   .channels = 1,
                                   .patch_size = 4,
                                   .d_model = 64,
                                   .depth = 6,
                                   .num_heads = 4,
                                   .mlp_ratio = 2.0,
                                   .dropout = 0.1,
                                   .num_classes = 10},
                                  gen);
  model.train();
  optim::AdamW adamw(model.parameters(), {.lr = 1e-3, .weight_decay = 0.05});
  const Tensor images = randn({batch, 1, 28, 28}, DType::f32, gen);
  std::vector<std::int64_t> labels(batch);
  for (auto& l : labels) l = static_cast<std::int64_t>(gen.next_u64() % 10);
  const Tensor target = from_vector(labels, {batch});
  CrossEntropyOptions ce;
  ce.label_smoothing = 0.1;
  for (auto _ : state) {
    adamw.zero_grad();
    const Tensor loss = cross_entropy(model.forward(images), target, ce);
    autograd::backward(loss);
    optim::clip_grad_norm(model.parameters(), 1.0);
    adamw.step();
  }
  state.counters["images/s"] =
      benchmark::Counter(double(batch) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VitTrainStep)->Arg(128)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
