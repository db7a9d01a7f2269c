#include "kernels/layer_norm.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/threading.h"
#include "harness/tensor_testing.h"
#include "kernels/kernel_testing.h"

namespace qkv {
namespace {

using testing::all_close;
using testing::random_floats;

// float32 tolerances against the double reference: y and dx are O(1) values
// rounded a few times; dweight and dbias sum up to 1000 rows in float per thread.
constexpr double kRtol = 5e-6, kAtol = 5e-6, kSumRtol = 2e-5, kSumAtol = 2e-5;

struct Affine {
  bool weight, bias;
};

TEST(LayerNormKernel, MatchesReference) {
  for (auto d : testing::kWidths)
    for (auto rows : testing::kRowCounts)
      for (Affine a : {Affine{true, true}, Affine{false, false}, Affine{true, false}}) {
        const std::uint64_t seed = rows * 1000 + d;
        // An offset mean and a spread that differs from 1 exercise both statistics.
        const auto x = random_floats(rows * d, seed, -3, 5);
        const auto dy = random_floats(rows * d, seed + 1);
        const auto wv = random_floats(d, seed + 2, 0.5, 1.5), bv = random_floats(d, seed + 3);
        const float* w = a.weight ? wv.data() : nullptr;
        const float* b = a.bias ? bv.data() : nullptr;
        const std::string where = "rows " + std::to_string(rows) + ", d " + std::to_string(d) +
                                  (a.weight ? ", weight" : "") + (a.bias ? ", bias" : "");

        std::vector<float> y(x.size()), mean(rows), rstd(rows);
        std::vector<float> want_y(x.size()), want_mean(rows), want_rstd(rows);
        kernels::layer_norm_forward<float>(rows, d, x.data(), w, b, 1e-5f, y.data(), mean.data(),
                                           rstd.data());
        kernels::ref::layer_norm_forward<float>(rows, d, x.data(), w, b, 1e-5f, want_y.data(),
                                                want_mean.data(), want_rstd.data());
        EXPECT_TRUE(all_close(y, want_y, kRtol, kAtol)) << where;
        EXPECT_TRUE(all_close(mean, want_mean, kRtol, kAtol)) << where;
        EXPECT_TRUE(all_close(rstd, want_rstd, kRtol, kAtol)) << where;

        std::vector<float> dx(x.size()), dw(d), db(d), want_dx(x.size()), want_dw(d), want_db(d);
        std::vector<float> workspace(kernels::layer_norm_backward_workspace(d));
        kernels::layer_norm_backward<float>(
            rows, d, x.data(), w, want_mean.data(), want_rstd.data(), dy.data(), dx.data(),
            a.weight ? dw.data() : nullptr, a.bias ? db.data() : nullptr, workspace.data());
        kernels::ref::layer_norm_backward<float>(rows, d, x.data(), w, want_mean.data(),
                                                 want_rstd.data(), dy.data(), want_dx.data(),
                                                 want_dw.data(), want_db.data());
        // dx = rstd * (terms of the size of dy * w, each rounded in float), so
        // its error grows with rstd: about 316 for d = 1, where x - mean is 0.
        for (std::int64_t r = 0; r < rows; ++r) {
          const auto row = [&](const std::vector<float>& v) {
            return std::vector<float>(v.begin() + r * d, v.begin() + (r + 1) * d);
          };
          const double atol = kAtol * std::max(1.0f, want_rstd[r]);
          EXPECT_TRUE(all_close(row(dx), row(want_dx), kRtol, atol)) << where << ", row " << r;
        }
        if (a.weight) {
          EXPECT_TRUE(all_close(dw, want_dw, kSumRtol, kSumAtol)) << where;
        }
        if (a.bias) {
          EXPECT_TRUE(all_close(db, want_db, kSumRtol, kSumAtol)) << where;
        }
      }
}

TEST(LayerNormKernel, DoubleMatchesReference) {
  const std::int64_t rows = 65, d = 63;
  const auto xf = random_floats(rows * d, 1, -2, 3);
  const std::vector<double> x(xf.begin(), xf.end()), dy(xf.rbegin(), xf.rend());
  const std::vector<double> w(d, 1.5), b(d, -0.5);
  std::vector<double> y(x.size()), mean(rows), rstd(rows), want_y(x.size()), wm(rows), wr(rows);
  kernels::layer_norm_forward<double>(rows, d, x.data(), w.data(), b.data(), 1e-5, y.data(),
                                      mean.data(), rstd.data());
  kernels::ref::layer_norm_forward<double>(rows, d, x.data(), w.data(), b.data(), 1e-5,
                                           want_y.data(), wm.data(), wr.data());
  EXPECT_TRUE(all_close(y, want_y, 1e-12, 1e-12));
  std::vector<double> dx(x.size()), dw(d), db(d), want_dx(x.size()), want_dw(d), want_db(d);
  std::vector<double> workspace(kernels::layer_norm_backward_workspace(d));
  kernels::layer_norm_backward<double>(rows, d, x.data(), w.data(), mean.data(), rstd.data(),
                                       dy.data(), dx.data(), dw.data(), db.data(),
                                       workspace.data());
  kernels::ref::layer_norm_backward<double>(rows, d, x.data(), w.data(), mean.data(), rstd.data(),
                                            dy.data(), want_dx.data(), want_dw.data(),
                                            want_db.data());
  EXPECT_TRUE(all_close(dx, want_dx, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(dw, want_dw, 1e-12, 1e-12));
  EXPECT_TRUE(all_close(db, want_db, 1e-12, 1e-12));
}

// The same inputs give bit-identical parameter gradients, run after run and
// whatever the thread count.
TEST(LayerNormKernel, BackwardIsDeterministic) {
  const std::int64_t rows = 1000, d = 65;
  const auto x = random_floats(rows * d, 1), dy = random_floats(rows * d, 2);
  std::vector<float> y(x.size()), mean(rows), rstd(rows);
  kernels::layer_norm_forward<float>(rows, d, x.data(), nullptr, nullptr, 1e-5f, y.data(),
                                     mean.data(), rstd.data());
  std::vector<float> workspace(kernels::layer_norm_backward_workspace(d));
  auto sums = [&] {
    std::vector<float> dx(x.size()), dw(d), db(d);
    kernels::layer_norm_backward<float>(rows, d, x.data(), nullptr, mean.data(), rstd.data(),
                                        dy.data(), dx.data(), dw.data(), db.data(),
                                        workspace.data());
    dw.insert(dw.end(), db.begin(), db.end());
    return dw;
  };
  const int threads = num_threads();
  const std::vector<float> first = sums();
  EXPECT_EQ(sums(), first);
  for (int n : {1, 3}) {
    set_num_threads(n);
    EXPECT_EQ(sums(), first) << n << " threads";
  }
  set_num_threads(threads);
}

}  // namespace
}  // namespace qkv
