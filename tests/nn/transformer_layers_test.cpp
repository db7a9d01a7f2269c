// TransformerEncoder(Layer) and TransformerDecoder(Layer).

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "nn/transformer_decoder.h"
#include "nn/transformer_encoder.h"

namespace qkv::nn {
namespace {

using testing::max_abs_diff;

std::vector<std::string> names(const Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, t] : m.named_parameters()) out.push_back(n);
  return out;
}

TransformerLayerConfig tiny(bool norm_first, Activation act = Activation::relu) {
  return {.d_model = 8,
          .num_heads = 2,
          .d_ff = 12,
          .dropout = 0,
          .attention_dropout = 0,
          .activation = act,
          .norm_first = norm_first};
}

TEST(TransformerLayers, NamesAsTorchTransformerLayers) {
  TransformerEncoderLayer enc(tiny(false));
  EXPECT_EQ(names(enc),
            (std::vector<std::string>{
                "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight",
                "self_attn.k_proj.bias", "self_attn.v_proj.weight", "self_attn.v_proj.bias",
                "self_attn.out_proj.weight", "self_attn.out_proj.bias", "linear1.weight",
                "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias",
                "norm2.weight", "norm2.bias"}));
  TransformerDecoder dec(tiny(true), 2, true);
  const auto n = names(dec);
  EXPECT_EQ(n.front(), "layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(n[8], "layers.0.multihead_attn.q_proj.weight");
  EXPECT_EQ(n.back(), "norm.bias");
  EXPECT_EQ(n.size(), 2 * (8 + 8 + 4 + 6) + 2u);
  EXPECT_THROW(TransformerEncoder(tiny(false), 0, false), Error);
}

TEST(TransformerLayers, EncoderLayerGradcheckBothNorms) {
  for (bool norm_first : {false, true}) {
    Generator gen(1);
    TransformerEncoderLayer layer(tiny(norm_first, Activation::gelu), gen);
    layer.to(DType::f64);
    const Tensor x = testing::leaf64({2, 3, 8}, 2);
    AttentionMask mask;
    mask.key_lengths = from_vector(std::vector<std::int64_t>{3, 2}, {2});
    EXPECT_MODULE_GRADCHECK(layer, [&] { return layer.forward(x, mask); }, {x});
  }
}

TEST(TransformerLayers, DecoderLayerGradcheckBothNorms) {
  for (bool norm_first : {false, true}) {
    Generator gen(3);
    TransformerDecoderLayer layer(tiny(norm_first), gen);
    layer.to(DType::f64);
    const Tensor y = testing::leaf64({2, 3, 8}, 4), memory = testing::leaf64({2, 4, 8}, 5);
    DecoderMasks masks;
    masks.memory.key_lengths = from_vector(std::vector<std::int64_t>{4, 1}, {2});
    EXPECT_MODULE_GRADCHECK(layer, [&] { return layer.forward(y, memory, masks); }, {y, memory});
  }
}

TEST(TransformerLayers, DecoderWithCacheEqualsFullPass) {
  for (bool norm_first : {false, true}) {
    Generator gen(5);
    TransformerLayerConfig c = tiny(norm_first);
    c.num_kv_heads = 1;  // MQA: one key/value head cached per layer
    TransformerDecoder dec(c, 2, true, gen);
    const Tensor y = randn({2, 5, 8}), memory = randn({2, 6, 8});
    DecoderMasks masks;
    masks.memory.key_lengths = from_vector(std::vector<std::int64_t>{6, 3}, {2});
    const Tensor want = dec.forward(y, memory, masks);
    DecoderCache cache;
    for (std::int64_t t = 0; t < 5; ++t) {
      const Tensor got =
          dec.forward(view::narrow(y, 1, t, 1), t == 0 ? memory : Tensor(), masks, &cache);
      EXPECT_LT(max_abs_diff(got, view::narrow(want, 1, t, 1)), 1e-5) << t;
      EXPECT_EQ(cache.length(), t + 1);
    }
    EXPECT_EQ(cache.layers[1].self_attn.keys.shape(), (Shape{2, 1, 5, 4}));
    EXPECT_EQ(cache.layers[1].cross_attn.keys.shape(), (Shape{2, 1, 6, 4}));
  }
}

TEST(TransformerLayers, AttentionWeightsPerLayer) {
  TransformerEncoder enc(tiny(false), 2, false);
  std::vector<Tensor> w;
  enc.forward(randn({2, 5, 8}), {}, &w);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[1].shape(), (Shape{2, 2, 5, 5}));
  TransformerDecoder dec(tiny(false), 3, false);
  DecoderWeights dw;
  dec.forward(randn({2, 4, 8}), randn({2, 5, 8}), {}, nullptr, &dw);
  ASSERT_EQ(dw.cross.size(), 3u);
  EXPECT_EQ(dw.self[0].shape(), (Shape{2, 2, 4, 4}));
  EXPECT_EQ(dw.cross[2].shape(), (Shape{2, 2, 4, 5}));
  // Causal self-attention: nothing above the diagonal.
  const auto v = dw.self[0].to_vector<float>();
  EXPECT_EQ(v[0 * 4 + 1], 0.0f);
  EXPECT_EQ(v[2 * 4 + 3], 0.0f);
}

}  // namespace
}  // namespace qkv::nn
