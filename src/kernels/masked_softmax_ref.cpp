#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention_visibility.h"
#include "kernels/masked_softmax.h"

namespace qkv::kernels::ref {

template <class T>
void masked_softmax_forward(const AttentionDims& d, const AttentionMask<T>& mask, const T* scores,
                            T* w) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::int64_t tk = d.k_len;
  std::vector<double> s(tk);
  for (std::int64_t b = 0; b < d.batch; ++b)
    for (std::int64_t head = 0; head < d.heads; ++head)
      for (std::int64_t i = 0; i < d.q_len; ++i) {
        const std::int64_t row = ((b * d.heads + head) * d.q_len + i) * tk;
        double max = -inf;
        for (std::int64_t j = 0; j < tk; ++j) {
          s[j] = visible(d, mask, b, head, i, j)
                     ? double(scores[row + j]) + double(additive_term(mask, b, head, i, j))
                     : -inf;
          max = std::max(max, s[j]);
        }
        double sum = 0;
        if (max != -inf)
          for (std::int64_t j = 0; j < tk; ++j) sum += s[j] = std::exp(s[j] - max);
        for (std::int64_t j = 0; j < tk; ++j)
          w[row + j] = max == -inf ? T(0) : static_cast<T>(s[j] / sum);
      }
}

template void masked_softmax_forward<float>(const AttentionDims&, const AttentionMask<float>&,
                                            const float*, float*);
template void masked_softmax_forward<double>(const AttentionDims&, const AttentionMask<double>&,
                                             const double*, double*);

}  // namespace qkv::kernels::ref
