#include "nn/pytorch_import.h"

#include <gtest/gtest.h>

#include "core/creation.h"
#include "core/view.h"
#include "harness/tensor_testing.h"
#include "nn/multi_head_attention.h"

namespace qkv::nn {
namespace {

using testing::max_abs_diff;

TEST(PytorchImport, SplitsPackedInputProjections) {
  const Tensor w = view::reshape(arange(0, 48, 1), {12, 4}), b = arange(0, 12, 1);
  const StateDict torch = {{"enc.self_attn.in_proj_weight", w},
                           {"enc.self_attn.in_proj_bias", b},
                           {"enc.self_attn.out_proj.weight", ones({4, 4})},
                           {"enc.linear1.bias", zeros({3})}};
  const StateDict got = from_pytorch(torch);
  EXPECT_EQ(got.size(), 8u);
  EXPECT_EQ(max_abs_diff(got.at("enc.self_attn.q_proj.weight"), view::narrow(w, 0, 0, 4)), 0.0);
  EXPECT_EQ(max_abs_diff(got.at("enc.self_attn.k_proj.weight"), view::narrow(w, 0, 4, 4)), 0.0);
  EXPECT_EQ(max_abs_diff(got.at("enc.self_attn.v_proj.weight"), view::narrow(w, 0, 8, 4)), 0.0);
  EXPECT_EQ(got.at("enc.self_attn.v_proj.bias").to_vector<float>(),
            (std::vector<float>{8, 9, 10, 11}));
  EXPECT_TRUE(got.count("enc.self_attn.out_proj.weight"));
  EXPECT_TRUE(got.count("enc.linear1.bias"));
  // Copies: changing the result leaves the PyTorch tensors alone.
  fill_(got.at("enc.self_attn.q_proj.weight"), -1);
  EXPECT_EQ(w.to_vector<float>()[0], 0.0f);
}

TEST(PytorchImport, SeparateProjectionsWhenKdimOrVdimDiffer) {
  const StateDict got = from_pytorch({{"q_proj_weight", ones({8, 8})},
                                      {"k_proj_weight", ones({8, 3})},
                                      {"v_proj_weight", ones({8, 5})},
                                      {"in_proj_bias", zeros({24})}});
  MultiHeadAttention mha({.d_model = 8, .num_heads = 2, .kdim = 3, .vdim = 5});
  const auto report = mha.load_state_dict(got, false);
  EXPECT_EQ(report.missing, (std::vector<std::string>{"out_proj.weight", "out_proj.bias"}));
  EXPECT_TRUE(report.unexpected.empty());
  EXPECT_TRUE(report.mismatched.empty());
}

TEST(PytorchImport, RefusesWhatItCannotMap) {
  EXPECT_THROW(from_pytorch({{"attn.bias_k", zeros({1, 1, 8})}}), Error);
  try {
    from_pytorch({{"attn.in_proj_weight", zeros({10, 4})}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "from_pytorch: attn.in_proj_weight has shape [10, 4]; expected [3d, d]");
  }
}

}  // namespace
}  // namespace qkv::nn
