#include "kernels/masked_softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/attention_visibility.h"
#include "kernels/parallel_rows.h"
#include "kernels/softmax.h"

namespace qkv::kernels {

// Each row is first written masked (-inf for hidden keys) into w, then
// softmaxed in place by the vector row kernel; a row whose largest entry is
// -inf has nothing to normalise and becomes zeros.
template <class T>
void masked_softmax_forward(const AttentionDims& d, const AttentionMask<T>& mask, const T* scores,
                            T* w) {
  const T inf = std::numeric_limits<T>::infinity();
  const std::int64_t tk = d.k_len;
  parallel_rows(d.batch * d.heads * d.q_len, tk, [&](std::int64_t row) {
    const std::int64_t i = row % d.q_len, bh = row / d.q_len;
    const std::int64_t b = bh / d.heads, head = bh % d.heads;
    const T* s = scores + row * tk;
    T* y = w + row * tk;
    T max = -inf;
    for (std::int64_t j = 0; j < tk; ++j) {
      y[j] = visible(d, mask, b, head, i, j) ? s[j] + additive_term(mask, b, head, i, j) : -inf;
      max = std::max(max, y[j]);
    }
    if (max == -inf)
      std::fill(y, y + tk, T(0));
    else
      softmax_forward<T>(1, tk, y, y);
  });
}

template void masked_softmax_forward<float>(const AttentionDims&, const AttentionMask<float>&,
                                            const float*, float*);
template void masked_softmax_forward<double>(const AttentionDims&, const AttentionMask<double>&,
                                             const double*, double*);

}  // namespace qkv::kernels
