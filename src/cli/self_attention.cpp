// `qkv self-attention`: multi-head self-attention over one sentence, shown as
// heat maps. Nothing is trained: the queries, keys and values are the inputs
// themselves (identity projections), so what a head attends to is plain
// similarity within its slice of the features.
//
// A word's vector is the normalised sum of fixed random vectors of its
// character trigrams ("<ma", "man", "an>" for "man"), the hashing trick of
// fastText (Bojanowski et al. 2017): the same word gives the same vector and
// related forms (dog, dogs) similar ones. Sinusoidal positions are added after
// the sqrt(d) scaling, as in the Transformer; the first heads hold their fast
// (local) frequencies, the last heads the slow ones.

#include "cli/self_attention.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "autograd/grad_mode.h"
#include "cli/commands.h"
#include "core/creation.h"
#include "core/rng.h"
#include "core/view.h"
#include "data/data_path.h"
#include "io/attention_plot.h"
#include "nn/multi_head_attention.h"
#include "nn/positional_encoding.h"
#include "ops/arith.h"
#include "ops/shape.h"

namespace qkv::cli {

namespace {

std::string first_test_sentence() {
  const std::string dir = data::find_data_set("multi30k", {"test2016.en"});
  std::ifstream in(dir + "/test2016.en");
  std::string line;
  check(static_cast<bool>(std::getline(in, line)) && !line.empty(), "self-attention: ", dir,
        "/test2016.en has no first line");
  return line;
}

// Words and punctuation marks, lower-cased.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  auto flush = [&] {
    if (!w.empty()) out.push_back(w);
    w.clear();
  };
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      flush();
    } else if (std::ispunct(c) && c != '\'' && c != '-') {
      flush();
      out.push_back(std::string(1, static_cast<char>(c)));
    } else {
      w.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  flush();
  return out;
}

// FNV-1a, a fixed 64-bit hash: the same trigram seeds the same vector everywhere.
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// [T, d]: each word's trigram vectors summed and scaled to unit length.
Tensor word_vectors(const std::vector<std::string>& tokens, std::int64_t d) {
  std::vector<float> out;
  for (const auto& t : tokens) {
    const std::string padded = "<" + t + ">";
    std::vector<double> v(d, 0.0);
    for (std::size_t i = 0; i + 3 <= padded.size(); ++i) {  // a word has at least one
      Generator gen(fnv1a(padded.substr(i, 3)));
      const auto r = randn({d}, DType::f64, gen).to_vector<double>();
      for (std::int64_t j = 0; j < d; ++j) v[j] += r[j];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    for (double x : v) out.push_back(static_cast<float>(x / std::sqrt(norm)));
  }
  return from_vector(out, {static_cast<std::int64_t>(tokens.size()), d});
}

}  // namespace

SelfAttentionResult run_self_attention(const SelfAttentionOptions& options) {
  namespace fs = std::filesystem;
  check(options.d_model > 0 && options.heads > 0 && options.d_model % options.heads == 0,
        "self-attention: --heads ", options.heads, " must divide --d-model ", options.d_model);
  const std::string text = options.text.empty() ? first_test_sentence() : options.text;
  SelfAttentionResult result;
  result.tokens = words(text);
  const auto& tokens = result.tokens;
  check(!tokens.empty(), "self-attention: the text \"", text, "\" has no words");
  const std::int64_t t = static_cast<std::int64_t>(tokens.size()), d = options.d_model;
  std::printf("sentence: %s\ntokens (%lld):", text.c_str(), static_cast<long long>(t));
  for (const auto& w : tokens) std::printf(" %s", w.c_str());
  std::printf("\n");

  autograd::NoGradGuard no_grad;
  nn::SinusoidalPositionalEncoding positions(d, std::max<std::int64_t>(t, 1));
  const Tensor x = positions.forward(unsqueeze(word_vectors(tokens, d), 0) * std::sqrt(double(d)));
  nn::MultiHeadAttention attention({.d_model = d, .num_heads = options.heads, .bias = false});
  attention.eval();
  for (const nn::Linear* p :
       {&attention.q_proj(), &attention.k_proj(), &attention.v_proj(), &attention.out_proj()})
    view::copy_into(p->weight(), eye(d));
  nn::MultiHeadAttentionOptions opt;
  opt.need_weights = true;
  opt.average_weights = false;
  const auto out = attention.forward(x, opt);
  const Tensor weights = view::select(out.weights, 0, 0);  // [h, T, T]
  std::printf("self-attention: %lld heads of width %lld, output [1, %lld, %lld]\n",
              static_cast<long long>(options.heads), static_cast<long long>(d / options.heads),
              static_cast<long long>(t), static_cast<long long>(d));

  // Per head, each query's strongest key other than itself.
  const auto w = weights.to_vector<double>();
  for (std::int64_t h = 0; h < options.heads; ++h) {
    std::printf("head %lld:", static_cast<long long>(h));
    for (std::int64_t i = 0; i < t; ++i) {
      std::int64_t best = -1;
      for (std::int64_t j = 0; j < t; ++j)
        if (j != i && (best < 0 || w[(h * t + i) * t + j] > w[(h * t + i) * t + best])) best = j;
      if (best >= 0)
        std::printf(" %s->%s %.2f", tokens[i].c_str(), tokens[best].c_str(),
                    w[(h * t + i) * t + best]);
    }
    std::printf("\n");
  }

  std::error_code ec;
  fs::create_directories(options.out, ec);
  check(!ec && fs::is_directory(options.out), "self-attention: cannot create output directory '",
        options.out, "'");
  const std::string path = (fs::path(options.out) / "self-attention.png").string();
  plot::AttentionPlotOptions plot_options;
  plot_options.title = "Self-attention, identity projections: \"" + text + "\"";
  plot::save_attention_maps(path, weights, tokens, tokens, plot_options);
  result.files.push_back(path);
  return result;
}

void add_self_attention_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "self-attention",
      "Multi-head self-attention over one sentence (identity projections, sinusoidal "
      "positions); print what each head attends to and draw its weights");
  auto options = std::make_shared<SelfAttentionOptions>();
  cmd->add_option("--text", options->text,
                  "Sentence to attend over (default: the first of Multi30k test2016.en)");
  cmd->add_option("--d-model", options->d_model, "Width of the word vectors")
      ->capture_default_str();
  cmd->add_option("--heads", options->heads, "Number of heads; divides --d-model")
      ->capture_default_str();
  cmd->add_option("--out", options->out, "Directory for the image")->capture_default_str();
  cmd->callback([options] {
    for (const auto& f : run_self_attention(*options).files) std::printf("wrote %s\n", f.c_str());
  });
}

}  // namespace qkv::cli
