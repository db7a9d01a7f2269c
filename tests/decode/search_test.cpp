#include "decode/search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "autograd/grad_mode.h"
#include "core/creation.h"
#include "core/view.h"
#include "decode/sampler.h"
#include "decode/seq2seq_step.h"
#include "models/seq2seq.h"
#include "ops/shape.h"

namespace qkv::decode {
namespace {

// A Markov chain over 6 tokens (0 pad, 1 bos, 2 eos, 3..5 words): the logits
// of the next token depend on the last one only. From <bos>, token 3 is the
// single most likely step but leads to a flat distribution, while 4 leads to a
// confident <eos>: greedy takes 3, beam search finds 4 <eos>.
class ChainModel : public StepModel {
 public:
  explicit ChainModel(std::int64_t rows) : rows_(rows) {}
  Tensor step(const Tensor& tokens) override {
    EXPECT_EQ(tokens.size(0), rows_);
    const auto t = tokens.to_vector<std::int64_t>();
    std::vector<double> out;
    for (std::int64_t last : t) {
      const auto& p = table().at(last);
      for (double x : p) out.push_back(std::log(x));
    }
    ++steps;
    return from_vector(out, {rows_, 6});
  }
  void select(const std::vector<std::int64_t>& rows) override {
    selections.push_back(rows);
    rows_ = static_cast<std::int64_t>(rows.size());
  }
  static const std::map<std::int64_t, std::vector<double>>& table() {
    static const std::map<std::int64_t, std::vector<double>> t = {
        {1, {1e-9, 1e-9, 0.05, 0.50, 0.40, 0.05}},
        {3, {1e-9, 1e-9, 0.30, 0.25, 0.20, 0.25}},
        {4, {1e-9, 1e-9, 0.90, 0.04, 0.03, 0.03}},
        {5, {1e-9, 1e-9, 0.50, 0.20, 0.20, 0.10}},
    };
    return t;
  }
  int steps = 0;
  std::vector<std::vector<std::int64_t>> selections;

 private:
  std::int64_t rows_;
};

DecodingOptions options(std::int64_t beam) {
  DecodingOptions o;
  o.beam_size = beam;
  o.length_penalty = 0;  // plain log-probability, so the expected paths are easy to check
  o.max_length = 6;
  return o;
}

TEST(Search, GreedyTakesTheLocallyBestToken) {
  ChainModel m(2);
  const auto hyps = greedy_search(m, 2, {6, 2}, options(1));
  EXPECT_EQ(hyps[0].tokens, (std::vector<std::int64_t>{3, 2}));  // 3, then eos (0.30)
  EXPECT_NEAR(hyps[0].log_prob, std::log(0.5 * 0.3), 1e-6);
  // The second sentence's limit is 2 tokens: 3, 2 as well, stopping at eos.
  EXPECT_EQ(hyps[1].tokens, (std::vector<std::int64_t>{3, 2}));
}

TEST(Search, BeamFindsTheMoreLikelySequence) {
  ChainModel m(3);
  const auto out = beam_search(m, 1, {6}, options(3));
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_EQ(out[0][0].tokens, (std::vector<std::int64_t>{4, 2}));  // 0.40 * 0.90 = 0.36
  EXPECT_NEAR(out[0][0].log_prob, std::log(0.36), 1e-6);
  EXPECT_EQ(out[0][1].tokens, (std::vector<std::int64_t>{3, 2}));  // 0.15
  for (std::size_t i = 1; i < out[0].size(); ++i) EXPECT_LE(out[0][i].score, out[0][i - 1].score);
}

TEST(Search, LengthPenaltyFavoursLongerHypotheses) {
  // With a strong penalty exponent, a longer sequence of similar per-token
  // probability outranks a short one.
  ChainModel m(4);
  DecodingOptions o = options(4);
  const auto plain = beam_search(m, 1, {6}, o)[0];
  ChainModel m2(4);
  o.length_penalty = 2.0;
  const auto normalized = beam_search(m2, 1, {6}, o)[0];
  EXPECT_LE(plain[0].tokens.size(), normalized[0].tokens.size());
  for (const auto& h : normalized)
    EXPECT_NEAR(h.score, h.log_prob / std::pow(double(h.tokens.size()), 2.0), 1e-9);
}

TEST(Search, MinAndMaxLength) {
  ChainModel m(1);
  DecodingOptions o = options(1);
  o.min_length = 3;
  const auto h = greedy_search(m, 1, {6}, o)[0];
  EXPECT_GE(h.tokens.size(), 3u);
  EXPECT_EQ(h.tokens.back(), 2);
  ChainModel m2(1);
  o.min_length = 6;  // never eos before the limit
  EXPECT_EQ(greedy_search(m2, 1, {4}, o)[0].tokens.size(), 4u);
  o.max_length = 100;
  EXPECT_EQ(max_length_for(10, o), 30);  // 2 x 10 + 10
  o.max_length = 25;
  EXPECT_EQ(max_length_for(10, o), 25);
}

TEST(Search, FinishedRowsLeaveTheBatch) {
  ChainModel m(2);
  greedy_search(m, 2, {6, 1}, options(1));
  // After the first step sentence 1 hit its limit: only row 0 goes on.
  ASSERT_FALSE(m.selections.empty());
  EXPECT_EQ(m.selections[0], (std::vector<std::int64_t>{0}));
}

TEST(Sampler, TopKOneAndTinyTopPAreArgmax) {
  const std::vector<float> logits = {0.1f, 2.0f, -1.0f, 1.9f};
  Generator gen(3);
  DecodingOptions o;
  o.top_k = 1;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sample(logits.data(), 4, o, gen), 1);
  o.top_k = 0;
  o.top_p = 0.01;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sample(logits.data(), 4, o, gen), 1);
}

TEST(Sampler, FrequenciesFollowTheTemperedSoftmax) {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f};
  Generator gen(5);
  DecodingOptions o;
  o.temperature = 2.0;
  std::vector<int> counts(3);
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[sample(logits.data(), 3, o, gen)];
  const double z = 1 + std::exp(0.5) + std::exp(1.0);
  EXPECT_NEAR(counts[0] / double(n), 1 / z, 0.015);
  EXPECT_NEAR(counts[2] / double(n), std::exp(1.0) / z, 0.015);
  // top_p 0.7 keeps tokens 2 and 1 (0.51 + 0.31), renormalised.
  o.top_p = 0.7;
  std::vector<int> kept(3);
  for (int i = 0; i < n; ++i) ++kept[sample(logits.data(), 3, o, gen)];
  EXPECT_EQ(kept[0], 0);
  EXPECT_NEAR(kept[2] / double(kept[1] + kept[2]), std::exp(1.0) / (std::exp(0.5) + std::exp(1.0)),
              0.015);
}

// The same Transformer decoded without a cache: every step reruns the whole
// prefix through decode(), as PyTorch's nn.Transformer does.
class RecomputeStep : public StepModel {
 public:
  RecomputeStep(const models::Seq2SeqTransformer& m, const Tensor& src, std::int64_t copies)
      : m_(m) {
    std::vector<std::int64_t> rows;
    for (std::int64_t b = 0; b < src.size(0); ++b)
      for (std::int64_t c = 0; c < copies; ++c) rows.push_back(b);
    src_ = gather(src, rows);
    prefix_.assign(rows.size(), {1});
  }
  Tensor step(const Tensor& tokens) override {
    autograd::NoGradGuard no_grad;
    const auto t = tokens.to_vector<std::int64_t>();
    if (steps_++ > 0)
      for (std::size_t r = 0; r < t.size(); ++r) prefix_[r].push_back(t[r]);
    std::vector<std::int64_t> flat;
    for (const auto& p : prefix_) flat.insert(flat.end(), p.begin(), p.end());
    const std::int64_t n = static_cast<std::int64_t>(prefix_.size()), len = prefix_[0].size();
    const Tensor logits = m_.decode(from_vector(flat, {n, len}), m_.encode(src_), src_);
    return view::contiguous(view::select(logits, 1, len - 1));
  }
  void select(const std::vector<std::int64_t>& rows) override {
    std::vector<std::vector<std::int64_t>> p;
    for (auto r : rows) p.push_back(prefix_[r]);
    prefix_ = std::move(p);
    src_ = gather(src_, rows);
  }

 private:
  static Tensor gather(const Tensor& ids, const std::vector<std::int64_t>& rows) {
    const auto v = ids.to_vector<std::int64_t>();
    const std::int64_t w = ids.size(1);
    std::vector<std::int64_t> out;
    for (auto r : rows) out.insert(out.end(), v.begin() + r * w, v.begin() + (r + 1) * w);
    return from_vector(out, {static_cast<std::int64_t>(rows.size()), w});
  }
  const models::Seq2SeqTransformer& m_;
  Tensor src_;
  std::vector<std::vector<std::int64_t>> prefix_;
  int steps_ = 0;
};

TEST(Search, CachedSeq2SeqDecodingEqualsRecomputation) {
  Generator gen(21);
  models::Seq2SeqTransformer model({.src_vocab = 17,
                                    .tgt_vocab = 17,
                                    .d_model = 16,
                                    .num_heads = 4,
                                    .num_kv_heads = 2,
                                    .encoder_layers = 2,
                                    .decoder_layers = 2,
                                    .d_ff = 32,
                                    .max_len = 32},
                                   gen);
  model.eval();
  const Tensor src =
      from_vector(std::vector<std::int64_t>{5, 6, 7, 8, 9, 3, 4, 10, 0, 0, 11, 0, 0, 0, 0}, {3, 5});
  DecodingOptions o;
  o.max_length = 12;
  o.max_length_ratio = 0;
  const std::vector<std::int64_t> limits(3, 12);
  for (std::int64_t beam : {1, 4}) {
    o.beam_size = beam;
    Seq2SeqStep cached(model, src, beam);
    RecomputeStep full(model, src, beam);
    EXPECT_EQ(cached.source_lengths()[beam], 3);  // sentence 1 has 3 tokens
    if (beam == 1) {
      const auto a = greedy_search(cached, 3, limits, o), b = greedy_search(full, 3, limits, o);
      for (int s = 0; s < 3; ++s) {
        EXPECT_EQ(a[s].tokens, b[s].tokens) << s;
        EXPECT_NEAR(a[s].log_prob, b[s].log_prob, 1e-4) << s;
      }
    } else {
      const auto a = beam_search(cached, 3, limits, o), b = beam_search(full, 3, limits, o);
      for (int s = 0; s < 3; ++s) {
        ASSERT_EQ(a[s].size(), b[s].size());
        for (std::size_t i = 0; i < a[s].size(); ++i) {
          EXPECT_EQ(a[s][i].tokens, b[s][i].tokens) << s << " " << i;
          EXPECT_NEAR(a[s][i].score, b[s][i].score, 1e-4);
        }
      }
    }
  }
}

}  // namespace
}  // namespace qkv::decode
