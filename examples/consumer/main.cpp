// The smallest program built against an installed qkv: y = sum(a @ b), then
// dy/da = ones(2, 2) @ b^T, printed next to its expected value.

#include <cstdio>
#include <vector>

#include "qkv.h"

int main() {
  using namespace qkv;
  const Tensor a = from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const Tensor b = from_vector(std::vector<float>{0.5f, -1, 2, 0.25f}, {2, 2});
  a.set_requires_grad(true);

  const Tensor y = sum(matmul(a, b));
  autograd::backward(y);

  // Each row of the gradient holds b's row sums: 0.5 - 1 and 2 + 0.25.
  std::printf("y = %g\n", y.item<double>());
  std::printf("grad a = %s\n", a.grad().to_string().c_str());
  const std::vector<float> want{-0.5f, 2.25f, -0.5f, 2.25f};
  std::printf(a.grad().to_vector<float>() == want ? "qkv consumer: gradient OK\n"
                                                  : "qkv consumer: gradient WRONG\n");
  return a.grad().to_vector<float>() == want ? 0 : 1;
}
