#include "nn/dropout.h"

#include <sstream>

#include "ops/dropout.h"

namespace qkv::nn {

Dropout::Dropout(double p, Generator& gen) : p_(p), gen_(gen) {
  check(p >= 0 && p < 1, "Dropout: probability must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) const { return dropout(x, p_, is_training(), gen_); }

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p_;
  return os.str();
}

}  // namespace qkv::nn
