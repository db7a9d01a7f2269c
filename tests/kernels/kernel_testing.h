#pragma once
// Shared by the row-kernel tests: the sizes they sweep and a comparison that
// names the worst element.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace qkv::testing {

// Row widths and row counts: 1; a tail alone, one vector and one and two
// vectors with tails, for vectors of 8 (AVX2) and of 16 (AVX-512) floats; just
// below and above four vectors of 16; and a long row (whole vectors of 8).
inline const std::vector<std::int64_t> kWidths{1, 7, 8, 9, 16, 17, 31, 33, 63, 65, 1000};
inline const std::vector<std::int64_t> kRowCounts{1, 7, 63, 65, 1000};

// Every |got - want| <= atol + rtol * |want|; NaN must meet NaN.
template <class T>
::testing::AssertionResult all_close(const std::vector<T>& got, const std::vector<T>& want,
                                     double rtol, double atol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (!(std::abs(g - w) <= atol + rtol * std::abs(w)))
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << g << ", want " << w << " (|diff| " << std::abs(g - w)
             << ", rtol " << rtol << ", atol " << atol << ")";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace qkv::testing
