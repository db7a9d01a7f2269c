#include "core/philox.h"
#include "kernels/dropout.h"

namespace qkv::kernels::ref {

template <class T>
void dropout(std::int64_t n, const T* x, double p, std::uint64_t seed, std::uint64_t offset, T* y) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float u = uint_to_unit_float(philox4x32(offset + std::uint64_t(i), seed)[0]);
    y[i] = u < p ? T(0) : x[i] * static_cast<T>(1 / (1 - p));
  }
}

template void dropout<float>(std::int64_t, const float*, double, std::uint64_t, std::uint64_t,
                             float*);
template void dropout<double>(std::int64_t, const double*, double, std::uint64_t, std::uint64_t,
                              double*);

}  // namespace qkv::kernels::ref
