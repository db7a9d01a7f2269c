#include "data/batching.h"

#include <algorithm>
#include <numeric>
#include <tuple>

#include "core/creation.h"
#include "core/error.h"
#include "core/rng.h"

namespace qkv::data {

namespace {

// Lengths with the added <eos> (source) or <bos>/<eos> (target), capped.
std::int64_t source_len(const Example& e, const BatchingOptions& o) {
  return std::min<std::int64_t>(static_cast<std::int64_t>(e.source.size()) + 1, o.max_length);
}
std::int64_t target_len(const Example& e, const BatchingOptions& o) {
  return std::min<std::int64_t>(static_cast<std::int64_t>(e.target.size()) + 1, o.max_length);
}

Batch assemble(const std::vector<Example>& examples, const std::vector<std::int64_t>& rows,
               const BatchingOptions& o) {
  std::int64_t s = 0, t = 0;
  for (auto i : rows) {
    s = std::max(s, source_len(examples[i], o));
    t = std::max(t, target_len(examples[i], o));
  }
  const auto b = static_cast<std::int64_t>(rows.size());
  std::vector<std::int64_t> src(b * s, o.pad_id), tin(b * t, o.pad_id), tout(b * t, o.pad_id);
  Batch batch;
  batch.indices = rows;
  for (std::int64_t r = 0; r < b; ++r) {
    const Example& e = examples[rows[r]];
    const std::int64_t ls = source_len(e, o) - 1, lt = target_len(e, o) - 1;
    std::copy_n(e.source.begin(), ls, src.begin() + r * s);
    src[r * s + ls] = o.eos_id;
    tin[r * t] = o.bos_id;
    std::copy_n(e.target.begin(), lt, tin.begin() + r * t + 1);
    std::copy_n(e.target.begin(), lt, tout.begin() + r * t);
    tout[r * t + lt] = o.eos_id;
    batch.target_tokens += lt + 1;
  }
  batch.source = from_vector(src, {b, s});
  batch.target_in = from_vector(tin, {b, t});
  batch.target_out = from_vector(tout, {b, t});
  return batch;
}

}  // namespace

std::vector<Batch> make_batches(const std::vector<Example>& examples, const BatchingOptions& o,
                                std::int64_t epoch) {
  check(!examples.empty(), "make_batches: no examples");
  check(o.max_tokens >= 1, "make_batches: max_tokens must be at least 1, got ", o.max_tokens);
  check(o.max_length >= 2, "make_batches: max_length must be at least 2, got ", o.max_length);
  for (std::size_t i = 0; i < examples.size(); ++i)
    check(!examples[i].source.empty() && !examples[i].target.empty(), "make_batches: example ", i,
          " has an empty ", examples[i].source.empty() ? "source" : "target");
  // Sorted by (target, source) length; equal lengths in a seeded random order,
  // so batches mix different sentences from epoch to epoch.
  std::vector<std::int64_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  Generator gen(o.seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(epoch + 1));
  std::vector<std::uint64_t> tie(order.size());
  for (auto& x : tie) x = o.shuffle ? gen.next_u64() : 0;
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    const auto ka = std::make_tuple(target_len(examples[a], o), source_len(examples[a], o), tie[a]);
    const auto kb = std::make_tuple(target_len(examples[b], o), source_len(examples[b], o), tie[b]);
    return ka < kb;
  });
  std::vector<std::vector<std::int64_t>> groups;
  std::vector<std::int64_t> current;
  std::int64_t s = 0, t = 0;
  for (std::int64_t i : order) {
    const std::int64_t ns = std::max(s, source_len(examples[i], o));
    const std::int64_t nt = std::max(t, target_len(examples[i], o));
    if (!current.empty() &&
        static_cast<std::int64_t>(current.size() + 1) * (ns + nt) > o.max_tokens) {
      groups.push_back(std::move(current));
      current.clear();
      s = source_len(examples[i], o);
      t = target_len(examples[i], o);
    } else {
      s = ns;
      t = nt;
    }
    current.push_back(i);
  }
  groups.push_back(std::move(current));
  if (o.shuffle)
    for (std::size_t i = groups.size(); i > 1; --i)
      std::swap(groups[i - 1], groups[gen.next_u64() % i]);
  std::vector<Batch> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back(assemble(examples, g, o));
  return out;
}

Tensor pad_sources(const std::vector<std::vector<std::int64_t>>& sources,
                   const BatchingOptions& o) {
  check(!sources.empty(), "pad_sources: no sentences");
  std::int64_t s = 1;
  for (const auto& x : sources)
    s = std::max<std::int64_t>(s, std::min<std::int64_t>(x.size() + 1, o.max_length));
  const auto b = static_cast<std::int64_t>(sources.size());
  std::vector<std::int64_t> ids(b * s, o.pad_id);
  for (std::int64_t r = 0; r < b; ++r) {
    const std::int64_t n = std::min<std::int64_t>(sources[r].size(), s - 1);
    std::copy_n(sources[r].begin(), n, ids.begin() + r * s);
    ids[r * s + n] = o.eos_id;
  }
  return from_vector(ids, {b, s});
}

}  // namespace qkv::data
