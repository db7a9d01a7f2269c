#include "decode/search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/creation.h"
#include "core/error.h"
#include "core/rng.h"
#include "decode/sampler.h"

namespace qkv::decode {

namespace {

constexpr float kBanned = -std::numeric_limits<float>::infinity();

void check_options(const DecodingOptions& o) {
  check(o.beam_size >= 1, "decode: beam size must be at least 1, got ", o.beam_size);
  check(o.max_length >= 1, "decode: max length must be at least 1, got ", o.max_length);
  check(o.min_length >= 0, "decode: min length must not be negative, got ", o.min_length);
  check(std::isfinite(o.length_penalty), "decode: length penalty must be finite, got ",
        o.length_penalty);
}

// The logits processors: <pad> and <bos> are never generated, and <eos> not
// before min_length tokens.
void restrict(float* logits, std::int64_t step, const DecodingOptions& o) {
  logits[o.pad_id] = kBanned;
  logits[o.bos_id] = kBanned;
  if (step + 1 < o.min_length) logits[o.eos_id] = kBanned;
}

Tensor column(const std::vector<std::int64_t>& tokens) {
  return from_vector(tokens, {static_cast<std::int64_t>(tokens.size()), 1});
}

double ranked(double log_prob, std::size_t length, double penalty) {
  return log_prob / std::pow(double(length), penalty);
}

}  // namespace

std::int64_t max_length_for(std::int64_t source_length, const DecodingOptions& o) {
  if (o.max_length_ratio <= 0) return o.max_length;
  const auto relative =
      static_cast<std::int64_t>(std::ceil(o.max_length_ratio * source_length)) + 10;
  return std::max<std::int64_t>(1, std::min(o.max_length, relative));
}

std::vector<Hypothesis> greedy_search(StepModel& model, std::int64_t batch,
                                      const std::vector<std::int64_t>& max_lengths,
                                      const DecodingOptions& o) {
  check_options(o);
  check(static_cast<std::int64_t>(max_lengths.size()) == batch,
        "greedy_search: ", max_lengths.size(), " length limits for ", batch, " sentences");
  std::vector<Hypothesis> out(batch);
  std::vector<std::int64_t> alive(batch);  // sentence of each live row
  std::iota(alive.begin(), alive.end(), 0);
  std::vector<std::int64_t> tokens(batch, o.bos_id);
  Generator gen(o.seed);
  for (std::int64_t step = 0; !alive.empty(); ++step) {
    Tensor logits = model.step(column(tokens));
    const std::int64_t vocab = logits.size(1);
    float* l = logits.data<float>();
    std::vector<std::int64_t> keep, next;
    for (std::size_t r = 0; r < alive.size(); ++r) {
      float* row = l + r * vocab;
      restrict(row, step, o);
      const std::int64_t t = o.sample ? sample(row, vocab, o, gen) : argmax(row, vocab);
      Hypothesis& h = out[alive[r]];
      h.tokens.push_back(t);
      h.log_prob += log_softmax(row, vocab)[t];
      if (t != o.eos_id && static_cast<std::int64_t>(h.tokens.size()) < max_lengths[alive[r]]) {
        keep.push_back(static_cast<std::int64_t>(r));
        next.push_back(t);
      }
    }
    if (keep.size() != alive.size()) {
      std::vector<std::int64_t> still;
      for (std::int64_t r : keep) still.push_back(alive[r]);
      alive = std::move(still);
      if (!alive.empty()) model.select(keep);
    }
    tokens = std::move(next);
  }
  for (auto& h : out) h.score = ranked(h.log_prob, h.tokens.size(), o.length_penalty);
  return out;
}

std::vector<std::vector<Hypothesis>> beam_search(StepModel& model, std::int64_t batch,
                                                 const std::vector<std::int64_t>& max_lengths,
                                                 const DecodingOptions& o) {
  check_options(o);
  check(static_cast<std::int64_t>(max_lengths.size()) == batch, "beam_search: ", max_lengths.size(),
        " length limits for ", batch, " sentences");
  const std::int64_t k = o.beam_size;
  struct Beam {
    std::int64_t sentence;
    Hypothesis hyp;
  };
  // Live rows in model order; every sentence starts with one real beam and
  // k - 1 that cannot be chosen, so the first step spreads over distinct tokens.
  std::vector<Beam> beams;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t j = 0; j < k; ++j)
      beams.push_back({b, {{}, j == 0 ? 0.0 : -std::numeric_limits<double>::infinity(), 0}});
  std::vector<std::vector<Hypothesis>> finished(batch);
  std::vector<std::int64_t> tokens(beams.size(), o.bos_id);

  for (std::int64_t step = 0; !beams.empty(); ++step) {
    Tensor logits = model.step(column(tokens));
    const std::int64_t vocab = logits.size(1);
    float* l = logits.data<float>();
    std::vector<Beam> next_beams;
    std::vector<std::int64_t> rows, next_tokens;
    // The beams of one sentence are consecutive rows.
    for (std::size_t first = 0; first < beams.size();) {
      const std::int64_t b = beams[first].sentence;
      std::size_t last = first;
      while (last < beams.size() && beams[last].sentence == b) ++last;
      struct Candidate {
        double log_prob;
        std::size_t row;
        std::int64_t token;
      };
      std::vector<Candidate> cands;
      for (std::size_t r = first; r < last; ++r) {
        if (!std::isfinite(beams[r].hyp.log_prob)) continue;
        float* row = l + r * vocab;
        restrict(row, step, o);
        const std::vector<double> lp = log_softmax(row, vocab);
        // Only a beam's 2k best tokens can be among the sentence's 2k best.
        std::vector<std::int64_t> idx(vocab);
        std::iota(idx.begin(), idx.end(), 0);
        const std::int64_t take = std::min<std::int64_t>(2 * k, vocab);
        std::partial_sort(idx.begin(), idx.begin() + take, idx.end(),
                          [&](std::int64_t a, std::int64_t c) { return lp[a] > lp[c]; });
        for (std::int64_t i = 0; i < take; ++i)
          if (std::isfinite(lp[idx[i]]))
            cands.push_back({beams[r].hyp.log_prob + lp[idx[i]], r, idx[i]});
      }
      std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& c) {
        return a.log_prob > c.log_prob || (a.log_prob == c.log_prob && a.row < c.row) ||
               (a.log_prob == c.log_prob && a.row == c.row && a.token < c.token);
      });
      std::vector<Beam> kept;
      for (const Candidate& c : cands) {
        if (static_cast<std::int64_t>(kept.size()) == k) break;
        Hypothesis h = beams[c.row].hyp;
        h.tokens.push_back(c.token);
        h.log_prob = c.log_prob;
        const bool at_limit = static_cast<std::int64_t>(h.tokens.size()) >= max_lengths[b];
        if (c.token == o.eos_id || at_limit) {
          h.score = ranked(h.log_prob, h.tokens.size(), o.length_penalty);
          finished[b].push_back(std::move(h));
          // A sentence is done once it has k finished hypotheses.
          if (static_cast<std::int64_t>(finished[b].size()) >= k) break;
        } else {
          kept.push_back({b, std::move(h)});
          rows.push_back(static_cast<std::int64_t>(c.row));
          next_tokens.push_back(c.token);
        }
      }
      if (static_cast<std::int64_t>(finished[b].size()) >= k || kept.empty()) {
        // Done: drop the rows this sentence just claimed.
        rows.resize(rows.size() - kept.size());
        next_tokens.resize(next_tokens.size() - kept.size());
      } else {
        for (auto& beam : kept) next_beams.push_back(std::move(beam));
      }
      first = last;
    }
    beams = std::move(next_beams);
    tokens = std::move(next_tokens);
    if (!beams.empty()) model.select(rows);
  }
  for (auto& hyps : finished) {
    std::stable_sort(hyps.begin(), hyps.end(),
                     [](const Hypothesis& a, const Hypothesis& c) { return a.score > c.score; });
    if (static_cast<std::int64_t>(hyps.size()) > k) hyps.resize(k);
  }
  return finished;
}

}  // namespace qkv::decode
