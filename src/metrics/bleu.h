#pragma once
// Corpus BLEU (Papineni et al. 2002) computed the way sacreBLEU (Post 2018)
// does by default, so scores compare with published ones: detokenized
// hypotheses and raw references, each tokenized with the 13a tokenizer of
// mteval-v13a, 1- to 4-gram precisions clipped by the references and summed
// over the corpus, the brevity penalty against the closest reference length,
// and "exp" smoothing of n-gram orders without a match.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qkv::metrics {

enum class BleuTokenize {
  none,  // split on whitespace only (pre-tokenized text)
  v13a,  // mteval-v13a, sacreBLEU's default
};

enum class BleuSmooth {
  none,   // an order without matches gives BLEU 0
  exp,    // sacreBLEU's default: the k-th such order counts 1 / 2^k matches
  floor,  // such orders count smooth_value matches
};

struct BleuOptions {
  BleuTokenize tokenize = BleuTokenize::v13a;
  // Lower-case hypotheses and references first (ASCII, Latin-1 and Latin
  // Extended-A letters; enough for English, German and French). Most
  // Multi30k papers report this.
  bool lowercase = false;
  BleuSmooth smooth = BleuSmooth::exp;
  double smooth_value = 0.1;  // for floor
};

// Sufficient statistics, summed over sentences.
struct BleuStats {
  std::array<std::int64_t, 4> matches{}, totals{};
  std::int64_t hyp_len = 0, ref_len = 0;
};

struct BleuScore {
  double score = 0;                    // 0..100
  std::array<double, 4> precisions{};  // percent, after smoothing
  double brevity_penalty = 0;
  BleuStats stats;
  // As sacreBLEU prints it: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943
  // ratio = 0.944 hyp_len = 17 ref_len = 18)".
  std::string to_string() const;
};

// mteval-v13a tokenization of one line.
std::string tokenize_13a(const std::string& line);

// The UTF-8 line lower-cased as BleuOptions::lowercase describes.
std::string lowercase_utf8(const std::string& line);

// hypotheses[i] is scored against references[k][i] for every reference set
// k. Throws qkv::Error when a reference set's length differs from the
// hypotheses'.
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& references,
                      const BleuOptions& options = {});

// BLEU from summed statistics.
BleuScore compute_bleu(const BleuStats& stats, const BleuOptions& options = {});

}  // namespace qkv::metrics
