#pragma once
// How the row kernels share rows among the OpenMP threads.

#include <algorithm>
#include <cstdint>

namespace qkv::kernels {

// Calls f(r) for every row r in [0, rows) of an array with n elements per row.
// Rows go out in chunks of about 16K elements, handed to whichever thread is
// free: on a machine shared with other work, a thread that loses its core does
// not hold the others up, as it would with a fixed split. Results must not
// depend on which thread ran a row. Arrays under 32K elements stay on the
// calling thread.
template <class F>
void parallel_rows(std::int64_t rows, std::int64_t n, F&& f) {
  const std::int64_t chunk = std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(n, 1));
#pragma omp parallel for schedule(dynamic, chunk) if (rows * n > 32768)
  for (std::int64_t r = 0; r < rows; ++r) f(r);
}

}  // namespace qkv::kernels
