#pragma once
// Layer normalisation over each row of a dense [rows, d] array (Ba et al. 2016):
//   mean, var (biased) of the row; rstd = 1 / sqrt(var + eps);
//   xhat = (x - mean) rstd;  y = xhat * weight + bias.
// weight and bias may each be null (1 and 0).

#include <cstdint>

namespace qkv::kernels {

// x [rows, d] -> y [rows, d]; mean and rstd [rows] are saved for the backward.
template <class T>
void layer_norm_forward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                        const T* bias, T eps, T* y, T* mean, T* rstd);

// Elements of scratch space layer_norm_backward needs when it computes dweight
// or dbias: partial sums over fixed blocks of rows, added in a fixed order, so
// the result is the same from run to run and for any thread count.
std::int64_t layer_norm_backward_workspace(std::int64_t d);

// dx = rstd (g - mean(g) - xhat mean(g xhat)) with g = dy * weight;
// dweight = sum over rows of dy xhat, dbias = sum over rows of dy. dweight and
// dbias may be null (not wanted); workspace holds layer_norm_backward_workspace(d)
// elements when either is wanted.
template <class T>
void layer_norm_backward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                         const T* mean, const T* rstd, const T* dy, T* dx, T* dweight, T* dbias,
                         T* workspace);

namespace ref {
template <class T>
void layer_norm_forward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                        const T* bias, T eps, T* y, T* mean, T* rstd);
template <class T>
void layer_norm_backward(std::int64_t rows, std::int64_t d, const T* x, const T* weight,
                         const T* mean, const T* rstd, const T* dy, T* dx, T* dweight, T* dbias);
}  // namespace ref

}  // namespace qkv::kernels
