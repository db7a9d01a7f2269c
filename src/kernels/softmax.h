#pragma once
// Softmax and log-softmax over each row of a dense [rows, n] array, and their
// backward passes. y may be x and dx may be dy (in place).

#include <cstdint>

namespace qkv::kernels {

// y = exp(x - max) / sum(exp(x - max)). A row of all -inf gives NaN, as in PyTorch.
template <class T>
void softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y);
// dx = y * (dy - sum(dy * y)), y the forward output.
template <class T>
void softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx);

// y = x - max - log(sum(exp(x - max))).
template <class T>
void log_softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y);
// dx = dy - exp(y) * sum(dy), y the forward output.
template <class T>
void log_softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx);

namespace ref {
template <class T>
void softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y);
template <class T>
void softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx);
template <class T>
void log_softmax_forward(std::int64_t rows, std::int64_t n, const T* x, T* y);
template <class T>
void log_softmax_backward(std::int64_t rows, std::int64_t n, const T* y, const T* dy, T* dx);
}  // namespace ref

}  // namespace qkv::kernels
