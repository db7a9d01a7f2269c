#include "decode/translator.h"

#include <algorithm>
#include <numeric>

#include "autograd/grad_mode.h"
#include "data/batching.h"
#include "decode/search.h"
#include "decode/seq2seq_step.h"

namespace qkv::decode {

std::vector<std::string> translate(const models::Seq2SeqTransformer& model,
                                   const data::BpeTokenizer& tokenizer,
                                   const std::vector<std::string>& sentences,
                                   const TranslateOptions& options) {
  check(options.batch_size >= 1, "translate: batch size must be at least 1, got ",
        options.batch_size);
  autograd::NoGradGuard no_grad;
  const auto ids = tokenizer.encode_batch(sentences);
  std::vector<std::size_t> order(sentences.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ids[a].size() < ids[b].size(); });
  data::BatchingOptions pad;
  pad.max_length = model.config().max_len;
  pad.pad_id = model.config().pad_id;
  pad.eos_id = options.decoding.eos_id;
  std::vector<std::string> out(sentences.size());
  const auto batch = static_cast<std::size_t>(options.batch_size);
  for (std::size_t first = 0; first < order.size(); first += batch) {
    const std::size_t n = std::min(batch, order.size() - first);
    std::vector<std::vector<std::int64_t>> src;
    for (std::size_t i = 0; i < n; ++i) src.push_back(ids[order[first + i]]);
    const Tensor src_ids = data::pad_sources(src, pad);
    std::vector<std::int64_t> limits;
    for (const auto& s : src)
      limits.push_back(std::min<std::int64_t>(
          max_length_for(static_cast<std::int64_t>(s.size()), options.decoding), pad.max_length));
    const std::int64_t beam = options.decoding.beam_size;
    Seq2SeqStep step(model, src_ids, beam);
    std::vector<std::vector<std::int64_t>> best(n);
    if (beam == 1) {
      const auto hyps = greedy_search(step, static_cast<std::int64_t>(n), limits, options.decoding);
      for (std::size_t i = 0; i < n; ++i) best[i] = hyps[i].tokens;
    } else {
      const auto hyps = beam_search(step, static_cast<std::int64_t>(n), limits, options.decoding);
      for (std::size_t i = 0; i < n; ++i)
        if (!hyps[i].empty()) best[i] = hyps[i][0].tokens;
    }
    for (std::size_t i = 0; i < n; ++i) out[order[first + i]] = tokenizer.decode(best[i]);
  }
  return out;
}

}  // namespace qkv::decode
