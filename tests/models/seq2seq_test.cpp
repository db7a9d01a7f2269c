#include "models/seq2seq.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"
#include "harness/module_testing.h"
#include "harness/tensor_testing.h"
#include "ops/shape.h"

namespace qkv::models {
namespace {

using testing::max_abs_diff;

Seq2SeqConfig tiny() {
  return {.src_vocab = 11,
          .tgt_vocab = 11,
          .d_model = 8,
          .num_heads = 2,
          .encoder_layers = 1,
          .decoder_layers = 2,
          .d_ff = 16,
          .dropout = 0,
          .attention_dropout = 0,
          .max_len = 16};
}

Tensor ids(std::vector<std::int64_t> v, Shape shape) { return from_vector(v, shape); }

TEST(Seq2SeqTransformer, ParametersSharedTiedOrSeparate) {
  Seq2SeqTransformer shared(tiny());
  const auto p = shared.named_parameters();
  EXPECT_EQ(p.front().first, "embed.weight");
  EXPECT_EQ(p.back().first, "decoder.norm.bias");
  Seq2SeqConfig c = tiny();
  c.shared_embeddings = false;
  c.tie_output = false;
  c.tgt_vocab = 13;
  c.positions = PositionKind::learned;
  Seq2SeqTransformer apart(c);
  const auto q = apart.named_parameters();
  EXPECT_EQ(q[0].first, "src_embed.weight");
  EXPECT_EQ(q[1].first, "tgt_embed.weight");
  EXPECT_EQ(q[2].first, "positions.weight");
  EXPECT_EQ(q.back().first, "generator.bias");
  EXPECT_EQ(apart.forward(ids({1, 2, 3}, {1, 3}), ids({1, 5}, {1, 2})).shape(), (Shape{1, 2, 13}));
  // The padding row of the embedding starts at zero.
  EXPECT_EQ(max_abs_diff(view::select(shared.named_parameters()[0].second, 0, 0), zeros({8})), 0.0);
}

TEST(Seq2SeqTransformer, ConfigErrors) {
  Seq2SeqConfig c = tiny();
  c.tgt_vocab = 12;
  EXPECT_THROW(Seq2SeqTransformer{c}, Error);  // shared embeddings need one vocabulary
  c = tiny();
  c.pad_id = 11;
  EXPECT_THROW(Seq2SeqTransformer{c}, Error);
  Seq2SeqTransformer m(tiny());
  EXPECT_THROW(m.forward(from_vector(std::vector<double>{1, 2}, {1, 2}), ids({1}, {1, 1})), Error);
  EXPECT_THROW(m.forward(ids({1, 2}, {1, 2}), ids({1, 11}, {1, 2})), Error);  // id out of range
  EXPECT_THROW(m.forward(ids(std::vector<std::int64_t>(17, 3), {1, 17}), ids({1}, {1, 1})), Error);
}

TEST(Seq2SeqTransformer, PaddingChangesNothingElse) {
  Seq2SeqTransformer m(tiny());
  const Tensor a = m.forward(ids({4, 5, 6}, {1, 3}), ids({1, 7, 8}, {1, 3}));
  const Tensor b = m.forward(ids({4, 5, 6, 0, 0}, {1, 5}), ids({1, 7, 8, 0}, {1, 4}));
  EXPECT_LT(max_abs_diff(a, view::narrow(b, 1, 0, 3)), 1e-5);
}

TEST(Seq2SeqTransformer, CachedDecodingEqualsTeacherForcing) {
  for (std::int64_t kv : {2, 1}) {
    Seq2SeqConfig c = tiny();
    c.num_kv_heads = kv;
    Seq2SeqTransformer m(c);
    m.eval();
    const Tensor src = ids({4, 5, 6, 7, 3, 2, 0, 0}, {2, 4});
    const Tensor tgt = ids({1, 8, 9, 10, 1, 3, 4, 5}, {2, 4});
    const Tensor want = m.forward(src, tgt);
    const Tensor memory = m.encode(src);
    nn::DecoderCache cache;
    for (std::int64_t t = 0; t < 4; ++t) {
      const Tensor got = m.decode(view::narrow(tgt, 1, t, 1), memory, src, &cache);
      EXPECT_LT(max_abs_diff(got, view::narrow(want, 1, t, 1)), 1e-5) << "kv " << kv << " t " << t;
    }
  }
}

TEST(Seq2SeqTransformer, GradcheckTinyModel) {
  Seq2SeqConfig c = tiny();
  c.d_model = 4;
  c.d_ff = 6;
  c.src_vocab = c.tgt_vocab = 6;
  c.decoder_layers = 1;
  c.max_len = 4;
  Generator gen(2);
  Seq2SeqTransformer m(c, gen);
  m.to(DType::f64);
  // No padding tokens: the padding row gets no gradient through the lookup (as
  // torch's padding_idx), so a finite difference on it would disagree by design.
  // Padding masks are checked in the layers' gradchecks.
  const Tensor src = ids({2, 3, 4, 5, 3, 2}, {2, 3}), tgt = ids({1, 4, 1, 5}, {2, 2});
  EXPECT_MODULE_GRADCHECK(m, [&] { return m.forward(src, tgt); });
}

}  // namespace
}  // namespace qkv::models
