#include "decode/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace qkv::decode {

std::int64_t argmax(const float* logits, std::int64_t n) {
  std::int64_t best = 0;
  for (std::int64_t j = 1; j < n; ++j)
    if (logits[j] > logits[best]) best = j;
  return best;
}

std::vector<double> log_softmax(const float* logits, std::int64_t n) {
  double max = -std::numeric_limits<double>::infinity();
  for (std::int64_t j = 0; j < n; ++j) max = std::max(max, double(logits[j]));
  double sum = 0;
  for (std::int64_t j = 0; j < n; ++j) sum += std::exp(double(logits[j]) - max);
  const double shift = max + std::log(sum);
  std::vector<double> out(n);
  for (std::int64_t j = 0; j < n; ++j) out[j] = double(logits[j]) - shift;
  return out;
}

std::int64_t sample(const float* logits, std::int64_t n, const DecodingOptions& o, Generator& gen) {
  check(o.temperature > 0, "sample: temperature must be positive, got ", o.temperature);
  check(o.top_p > 0 && o.top_p <= 1, "sample: top_p must be in (0, 1], got ", o.top_p);
  check(o.top_k >= 0, "sample: top_k must not be negative, got ", o.top_k);
  // Candidates by decreasing logit; the cut-offs keep a prefix of them.
  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const std::int64_t k = o.top_k > 0 ? std::min(o.top_k, n) : n;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](std::int64_t a, std::int64_t b) { return logits[a] > logits[b]; });
  order.resize(k);
  const double top = logits[order[0]];
  std::vector<double> p(k);
  double total = 0;
  for (std::int64_t i = 0; i < k; ++i)
    total += p[i] = std::exp((logits[order[i]] - top) / o.temperature);
  std::int64_t keep = k;
  if (o.top_p < 1) {
    double mass = 0;
    for (std::int64_t i = 0; i < k; ++i) {
      mass += p[i] / total;
      if (mass >= o.top_p) {
        keep = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (std::int64_t i = 0; i < keep; ++i) kept += p[i];
  double u = gen.next_uniform() * kept;
  for (std::int64_t i = 0; i < keep; ++i) {
    u -= p[i];
    if (u < 0) return order[i];
  }
  return order[keep - 1];
}

}  // namespace qkv::decode
