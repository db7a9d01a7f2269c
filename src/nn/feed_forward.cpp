#include "nn/feed_forward.h"

namespace qkv::nn {

FeedForward::FeedForward(std::int64_t d, std::int64_t d_ff, Activation activation, double dropout,
                         Generator& gen)
    : activation_(activation) {
  linear1_ = register_module("linear1", std::make_shared<Linear>(d, d_ff, true, gen));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout, gen));
  linear2_ = register_module("linear2", std::make_shared<Linear>(d_ff, d, true, gen));
}

Tensor FeedForward::forward(const Tensor& x) const {
  return linear2_->forward(dropout_->forward(activate(activation_, linear1_->forward(x))));
}

std::string FeedForward::extra_repr() const {
  return "d=" + std::to_string(linear1_->in_features()) +
         ", d_ff=" + std::to_string(linear1_->out_features()) +
         ", activation=" + activation_name(activation_);
}

}  // namespace qkv::nn
