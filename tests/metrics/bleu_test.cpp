#include "metrics/bleu.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace qkv::metrics {
namespace {

// sacreBLEU's README example and its test suite's expected values
// (mjpost/sacrebleu test/test_bleu.py): three hypotheses, two reference sets.
const std::vector<std::string> kHyps = {"The dog bit the man.", "It wasn't surprising.",
                                        "The man had just bitten him."};
const std::vector<std::vector<std::string>> kRefs = {
    {"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
    {"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."}};

TEST(Bleu, SacrebleuPublishedValues) {
  const BleuScore s = corpus_bleu(kHyps, kRefs);
  EXPECT_NEAR(s.score, 48.530827, 1e-6);
  EXPECT_EQ(
      s.to_string(),
      "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)");
  BleuOptions none;
  none.tokenize = BleuTokenize::none;
  EXPECT_NEAR(corpus_bleu(kHyps, kRefs, none).score, 49.1919566, 1e-6);
  BleuOptions unsmoothed;
  unsmoothed.smooth = BleuSmooth::none;
  EXPECT_NEAR(corpus_bleu(kHyps, kRefs, unsmoothed).score, 48.530827, 1e-6);
  // Empty hypotheses score 0 and are not dropped.
  EXPECT_EQ(corpus_bleu({"", "", ""}, kRefs).score, 0.0);
}

TEST(Bleu, SacrebleuStatisticsAndScoring) {
  BleuOptions none;
  none.tokenize = BleuTokenize::none;
  const BleuScore s =
      corpus_bleu({"am I am a character sequence"}, {{"I am a symbol string sequence a a"}}, none);
  EXPECT_EQ(s.stats.matches, (std::array<std::int64_t, 4>{4, 2, 1, 0}));
  EXPECT_EQ(s.stats.totals, (std::array<std::int64_t, 4>{6, 5, 4, 3}));
  BleuStats st;
  st.matches = {9, 7, 5, 3};
  st.totals = {10, 8, 6, 4};
  st.hyp_len = st.ref_len = 11;
  EXPECT_NEAR(compute_bleu(st).score / 100, 0.8375922397, 1e-10);
  // The same as the raw scores of the test suite, floor smoothing 0.01.
  BleuOptions floor = none;
  floor.smooth = BleuSmooth::floor;
  floor.smooth_value = 0.01;
  EXPECT_NEAR(
      corpus_bleu({"this is a test", "another test"}, {{"ref1", "ref2"}}, floor).score / 100,
      0.003799178428257963, 1e-10);
  EXPECT_NEAR(corpus_bleu({"this is a fest"}, {{"this is a test"}}, floor).score / 100,
              0.223606797749979, 1e-10);
  EXPECT_NEAR(corpus_bleu({"this is a test"}, {{"this is a test"}}, floor).score, 100, 1e-10);
}

TEST(Bleu, Tokenize13a) {
  EXPECT_EQ(tokenize_13a("It wasn't surprising."), "It wasn't surprising .");
  EXPECT_EQ(tokenize_13a("A man, 3.5 ft tall, costs $1,000.00!"),
            "A man , 3.5 ft tall , costs $ 1,000.00 !");
  EXPECT_EQ(tokenize_13a("Two-year-old (ca. 2) kids: 1990-2000"),
            "Two-year-old ( ca . 2 ) kids : 1990 - 2000");
  EXPECT_EQ(tokenize_13a("&quot;Hi&quot; &amp; <skipped>bye"), "\" Hi \" & bye");
  EXPECT_EQ(tokenize_13a("Ein Mädchen läuft."), "Ein Mädchen läuft .");
  EXPECT_EQ(tokenize_13a("  spaced   out  "), "spaced out");
  EXPECT_EQ(tokenize_13a(""), "");
}

TEST(Bleu, LowercaseLatin) {
  EXPECT_EQ(lowercase_utf8("ÄÖÜ Straße ÉÇ Œuvre Ÿ Łódź ABC"), "äöü straße éç œuvre ÿ łódź abc");
  BleuOptions lc;
  lc.lowercase = true;
  EXPECT_NEAR(corpus_bleu({"THE DOG BIT THE MAN."}, {{"the dog bit the man."}}, lc).score, 100,
              1e-12);
  EXPECT_LT(corpus_bleu({"THE DOG BIT THE MAN."}, {{"the dog bit the man."}}).score,
            10);  // only the period matches
}

TEST(Bleu, MatchesNltkCorpusBleuOnTheSameTokens) {
  std::ifstream in(std::string(QKV_TEST_DATA_DIR) + "/golden/bleu/nltk_corpus_bleu.json");
  ASSERT_TRUE(in.good());
  const auto golden = nlohmann::json::parse(in);
  BleuOptions o;
  o.tokenize = BleuTokenize::none;
  o.smooth = BleuSmooth::none;
  int n = 0;
  for (const auto& c : golden.at("cases")) {
    const auto hyps = c.at("hypotheses").get<std::vector<std::string>>();
    const auto refs = c.at("references").get<std::vector<std::vector<std::string>>>();
    const double got = corpus_bleu(hyps, refs, o).score / 100;
    EXPECT_NEAR(got, c.at("nltk_bleu").get<double>(), 1e-12) << "case " << n;
    ++n;
  }
  EXPECT_EQ(n, 5);
}

TEST(Bleu, MismatchedReferenceCountIsAnError) {
  try {
    corpus_bleu({"a", "b"}, {{"a"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "corpus_bleu: reference set 0 has 1 sentences, the hypotheses 2");
  }
}

}  // namespace
}  // namespace qkv::metrics
