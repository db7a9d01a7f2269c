#include "data/bpe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/threading.h"
#include "data/data_path.h"
#include "io/io_testing.h"

namespace qkv::data {
namespace {

using testing::error_of;
using testing::TempDir;
using json = nlohmann::json;
using Ids = std::vector<std::int64_t>;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t byte_id(char c) { return kNumSpecialTokens + static_cast<unsigned char>(c); }

std::vector<std::string> repeat(const std::string& line, int n) {
  return std::vector<std::string>(static_cast<std::size_t>(n), line);
}

// Sennrich et al.'s example: low x5, lower x2, newest x6, widest x3, one word
// per line so no word has a leading space.
std::vector<std::string> sennrich_corpus() {
  std::vector<std::string> lines;
  for (const auto& [word, n] : std::vector<std::pair<std::string, int>>{
           {"low", 5}, {"lower", 2}, {"newest", 6}, {"widest", 3}}) {
    const auto more = repeat(word, n);
    lines.insert(lines.end(), more.begin(), more.end());
  }
  return lines;
}

// Mixed text for the round-trip tests: English, German, and some symbols.
const BpeTokenizer& mixed_tokenizer() {
  static const BpeTokenizer tok = [] {
    std::vector<std::string> lines = {
        "A man in an orange hat starring at something.",
        "Ein Mann mit einem orangefarbenen Hut, der etwas anstarrt.",
        "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
        "Two young, White males are outside near many bushes.",
        "Mehrere Männer mit Schutzhelmen bedienen ein Antriebsradsystem.",
        "Ein kleines Mädchen klettert in ein Spielhaus aus Holz.",
        "A little girl climbing into a wooden playhouse.",
        "Größe, Fuß, Straße: „Grüße“ – 3,50 € 👍🏽 日本語です。",
        "  indented\tand\ttabbed lines\n\nwith blank lines  ",
    };
    std::vector<std::string> corpus;
    for (int i = 0; i < 4; ++i) corpus.insert(corpus.end(), lines.begin(), lines.end());
    return BpeTokenizer::train(corpus, 420);
  }();
  return tok;
}

std::string merge_text(const BpeTokenizer& tok, const BpeTokenizer::Merge& m) {
  return tok.id_to_token(m.left) + " " + tok.id_to_token(m.right);
}

std::vector<std::string> merge_texts(const BpeTokenizer& tok) {
  std::vector<std::string> out;
  for (const auto& m : tok.merges()) out.push_back(merge_text(tok, m));
  return out;
}

std::vector<std::string> read_lines(const std::string& path, std::size_t max = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < max && std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The obvious algorithm, kept as the oracle for the fast one: recount every
// pair of every word before each merge. Returns the merges as "left right" in
// the byte alphabet.
std::vector<std::string> reference_merges(const std::vector<std::string>& lines,
                                          std::size_t vocab_size) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& line : lines)
    for (const auto w : pre_tokenize(line)) ++counts[std::string(w)];
  std::map<std::string, std::int64_t> id;  // token bytes -> id
  for (int b = 0; b < 256; ++b) id[std::string(1, static_cast<char>(b))] = 4 + b;
  std::vector<std::pair<std::vector<std::string>, std::int64_t>> words;
  for (const auto& [w, n] : counts) {
    std::vector<std::string> symbols;
    for (const char c : w) symbols.emplace_back(1, c);
    words.push_back({symbols, n});
  }
  std::vector<std::string> merges;
  while (4 + id.size() < vocab_size) {
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> pairs;  // by (left id, right id)
    for (const auto& [s, n] : words)
      for (std::size_t i = 0; i + 1 < s.size(); ++i) pairs[{id[s[i]], id[s[i + 1]]}] += n;
    std::pair<std::int64_t, std::int64_t> best;
    std::int64_t best_count = 1;
    for (const auto& [p, n] : pairs)  // in (left, right) order, so ties keep the first
      if (n > best_count) best = p, best_count = n;
    if (best_count < 2) break;
    std::string left, right;
    for (const auto& [t, i] : id) {
      if (i == best.first) left = t;
      if (i == best.second) right = t;
    }
    merges.push_back(bytes_to_alphabet(left) + " " + bytes_to_alphabet(right));
    id[left + right] = 4 + static_cast<std::int64_t>(id.size());
    for (auto& [s, n] : words) {
      std::vector<std::string> out;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          out.push_back(left + right);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s = out;
    }
  }
  return merges;
}

// The obvious encoder: each merge in turn, over the whole word, left to right.
Ids reference_encode(const BpeTokenizer& tok, std::string_view text) {
  Ids out;
  const auto merges = tok.merges();
  for (const auto w : pre_tokenize(text)) {
    Ids s;
    for (const char c : w) s.push_back(byte_id(c));
    for (const auto& m : merges) {
      Ids next;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == m.left && s[i + 1] == m.right) {
          next.push_back(m.result);
          ++i;
        } else {
          next.push_back(s[i]);
        }
      }
      s = next;
    }
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

// Random lines over a few letters, so that pairs repeat and merges chain.
std::vector<std::string> random_lines(unsigned seed, int n, std::string_view letters) {
  std::mt19937 gen(seed);
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string line;
    for (int w = 0, words = 1 + gen() % 6; w < words; ++w) {
      if (w) line += gen() % 5 ? " " : "  ";
      for (std::size_t k = 0, len = 1 + gen() % 7; k < len; ++k)
        line += letters[gen() % letters.size()];
    }
    if (gen() % 4 == 0) line += '.';
    lines.push_back(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Pre-tokenisation and the byte alphabet

TEST(BpePreTokenize, SplitsWordsTheWayGpt2Does) {
  using Words = std::vector<std::string_view>;
  EXPECT_EQ(pre_tokenize("Hello world"), (Words{"Hello", " world"}));
  EXPECT_EQ(pre_tokenize("I'm 42 years!!  ok\n"),
            (Words{"I", "'m", " 42", " years", "!!", " ", " ok", "\n"}));
  EXPECT_EQ(pre_tokenize("they'll've it's"), (Words{"they", "'ll", "'ve", " it", "'s"}));
  EXPECT_EQ(pre_tokenize("rock'n'roll"), (Words{"rock", "'", "n", "'", "roll"}));
  EXPECT_EQ(pre_tokenize("a\n\nb"), (Words{"a", "\n", "\n", "b"}));
  EXPECT_EQ(pre_tokenize("x   y   "), (Words{"x", "  ", " y", "   "}));
  EXPECT_EQ(pre_tokenize(" \t x"), (Words{" \t", " x"}));
  EXPECT_EQ(pre_tokenize("abc123def"), (Words{"abc", "123", "def"}));
  EXPECT_EQ(pre_tokenize(""), Words{});
  // Non-ASCII letters, punctuation, symbols and spaces.
  EXPECT_EQ(pre_tokenize("Männer „Hallo“ – 3,5€"),
            (Words{"Männer", " „", "Hallo", "“", " –", " 3", ",", "5", "€"}));
  EXPECT_EQ(pre_tokenize("a\u00a0b"), (Words{"a", "\u00a0", "b"}));
  EXPECT_EQ(pre_tokenize("ok 👍🏽!"), (Words{"ok", " 👍🏽!"}));
  EXPECT_EQ(pre_tokenize("日本語です。"), (Words{"日本語です", "。"}));
  // Bytes that are not UTF-8 count as letters, one byte each.
  EXPECT_EQ(pre_tokenize("\377\376ab \303("), (Words{"\377\376ab", " \303", "("}));
}

TEST(BpePreTokenize, PiecesCoverTheTextInOrder) {
  std::mt19937 gen(7);
  for (int t = 0; t < 500; ++t) {
    std::string text(gen() % 40, '\0');
    for (char& c : text) c = static_cast<char>(gen());
    std::string joined;
    for (const auto w : pre_tokenize(text)) {
      ASSERT_FALSE(w.empty());
      joined += w;
    }
    ASSERT_EQ(joined, text);
  }
}

TEST(BpeAlphabet, NamesEveryByteWithOnePrintableCharacter) {
  EXPECT_EQ(bytes_to_alphabet(" "), "Ġ");
  EXPECT_EQ(bytes_to_alphabet("\n"), "Ċ");
  EXPECT_EQ(bytes_to_alphabet(std::string(1, '\0')), "Ā");
  EXPECT_EQ(bytes_to_alphabet("\xad"), "Ń");  // the last of the 68 remapped bytes
  EXPECT_EQ(bytes_to_alphabet("a!~"), "a!~");
  EXPECT_EQ(bytes_to_alphabet("ä"), "Ã¤");
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string named = bytes_to_alphabet(all);
  EXPECT_EQ(alphabet_to_bytes(named), all);
  for (int b = 0; b < 256; ++b) {
    const std::string one = bytes_to_alphabet(std::string(1, static_cast<char>(b)));
    EXPECT_EQ(one.find(' '), std::string::npos) << b;
    EXPECT_EQ(alphabet_to_bytes(one), std::string(1, static_cast<char>(b))) << b;
  }
  EXPECT_EQ(alphabet_to_bytes(" "), std::nullopt);      // the space is written Ġ
  EXPECT_EQ(alphabet_to_bytes("€"), std::nullopt);      // outside the alphabet
  EXPECT_EQ(alphabet_to_bytes("a\xff"), std::nullopt);  // not UTF-8
}

// ---------------------------------------------------------------------------
// Training

TEST(BpeTrain, LearnsTheExpectedMergesOnATinyCorpus) {
  const BpeTokenizer tok = BpeTokenizer::train(sennrich_corpus(), 300);
  // Counts: es 9, st 9 (tie: e < s), then est 9; lo 7, ow 7 (l < o); ew, ne,
  // west all 6 (e < n < w); dest, idest, widest 3; er, lower 2. Then every
  // word is one token and no pair is left.
  const std::vector<std::string> want = {"e s",     "es t",  "l o",    "lo w",    "e w", "n ew",
                                         "new est", "d est", "i dest", "w idest", "e r", "low er"};
  EXPECT_EQ(merge_texts(tok), want);
  ASSERT_EQ(tok.vocab_size(), 260u + want.size());
  const auto merges = tok.merges();
  for (std::size_t i = 0; i < merges.size(); ++i) {
    EXPECT_EQ(merges[i].result, 260 + static_cast<std::int64_t>(i));
    EXPECT_EQ(tok.token_bytes(merges[i].result),
              tok.token_bytes(merges[i].left) + tok.token_bytes(merges[i].right));
  }
  EXPECT_EQ(merges[0].left, byte_id('e'));
  EXPECT_EQ(merges[0].right, byte_id('s'));
  EXPECT_EQ(merges[1].left, 260);
  EXPECT_EQ(merges[1].right, byte_id('t'));
  EXPECT_EQ(tok.id_to_token(271), "lower");

  EXPECT_EQ(tok.encode("lowest"), (Ids{263, 261}));  // low + est
  EXPECT_EQ(tok.encode("newer"), (Ids{265, 270}));   // new + er
  EXPECT_EQ(tok.encode("widest"), (Ids{269}));
  EXPECT_EQ(tok.encode("low low"), (Ids{263, byte_id(' '), 263}));  // " low" was never seen
}

TEST(BpeTrain, MergesNeverCrossWords) {
  // Words "ab", " ab", " ab": the pair (b, space) occurs twice across word
  // boundaries and must not be merged.
  const BpeTokenizer tok = BpeTokenizer::train({"ab ab ab"}, 300);
  EXPECT_EQ(merge_texts(tok), (std::vector<std::string>{"a b", "Ġ ab"}));
  EXPECT_EQ(tok.encode("ab ab"), (Ids{260, 261}));
}

TEST(BpeTrain, StopsAtTheRequestedVocabularySize) {
  const BpeTokenizer tok = BpeTokenizer::train(sennrich_corpus(), 266);
  EXPECT_EQ(tok.vocab_size(), 266u);
  EXPECT_EQ(merge_texts(tok),
            (std::vector<std::string>{"e s", "es t", "l o", "lo w", "e w", "n ew"}));
  EXPECT_EQ(BpeTokenizer::train(sennrich_corpus(), 260).vocab_size(), 260u);
  EXPECT_EQ(BpeTokenizer::train({}, 1000).vocab_size(), 260u);
}

TEST(BpeTrain, MergesOnlyPairsThatOccurOftenEnough) {
  // "abc" once and "xy" twice: only x y occurs twice.
  EXPECT_EQ(merge_texts(BpeTokenizer::train({"abc", "xy", "xy"}, 300)),
            (std::vector<std::string>{"x y"}));
  BpeTrainOptions once;
  once.min_frequency = 1;
  EXPECT_EQ(merge_texts(BpeTokenizer::train({"abc", "xy", "xy"}, 300, once)),
            (std::vector<std::string>{"x y", "a b", "ab c"}));
  BpeTrainOptions thrice;
  thrice.min_frequency = 3;
  EXPECT_TRUE(BpeTokenizer::train({"abc", "xy", "xy"}, 300, thrice).merges().empty());
}

TEST(BpeTrain, TheSameWordCountsGiveTheSameMerges) {
  std::mt19937 gen(3);
  std::vector<std::string> lines;
  for (int i = 0; i < 400; ++i) {
    std::string line;
    for (int w = 0; w < 6; ++w) {
      if (w) line += ' ';
      for (std::size_t k = 0, n = 1 + gen() % 6; k < n; ++k) line += "abcde"[gen() % 5];
    }
    lines.push_back(line);
  }
  const BpeTokenizer a = BpeTokenizer::train(lines, 500);
  const BpeTokenizer b = BpeTokenizer::train(lines, 500);
  std::shuffle(lines.begin(), lines.end(), gen);
  const BpeTokenizer c = BpeTokenizer::train(lines, 500);
  EXPECT_GT(a.merges().size(), 100u);
  EXPECT_EQ(merge_texts(a), merge_texts(b));
  EXPECT_EQ(merge_texts(a), merge_texts(c));
  EXPECT_EQ(a.to_json(), c.to_json());
}

TEST(BpeTrain, MatchesTheObviousAlgorithm) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    const auto lines = random_lines(seed, 150, seed == 3 ? "aab" : "abcd");
    const BpeTokenizer tok = BpeTokenizer::train(lines, 420);
    const auto want = reference_merges(lines, 420);
    EXPECT_GT(want.size(), 60u);
    EXPECT_EQ(merge_texts(tok), want);
  }
}

TEST(BpeTrain, ReportsProgressOnlyThroughTheCallback) {
  std::vector<BpeTrainProgress> seen;
  BpeTrainOptions options;
  options.progress_every = 5;
  options.on_progress = [&](const BpeTrainProgress& p) { seen.push_back(p); };
  ::testing::internal::CaptureStdout();
  BpeTokenizer::train(sennrich_corpus(), 300, options);
  BpeTokenizer::train(sennrich_corpus(), 300);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  // 12 merges: after 5, after 10, and at the end.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].vocab_size, 265u);
  EXPECT_EQ(seen[1].vocab_size, 270u);
  EXPECT_EQ(seen[2].vocab_size, 272u);
  EXPECT_EQ(seen[2].target, 300u);
  EXPECT_EQ(seen[2].pair_count, 2);  // "low er"
}

TEST(BpeTrain, RejectsBadArguments) {
  EXPECT_HAS(error_of([] { BpeTokenizer::train({"a"}, 259); }),
             "BPE training: vocab_size 259 is too small: the 4 special tokens and 256 bytes "
             "need 260");
  BpeTrainOptions zero;
  zero.min_frequency = 0;
  EXPECT_HAS(error_of([&] { BpeTokenizer::train({"a"}, 300, zero); }),
             "min_frequency must be at least 1, got 0");
  EXPECT_HAS(error_of([] { BpeTokenizer::train_files({"/no/such/corpus.txt"}, 300); }),
             "cannot read training file \"/no/such/corpus.txt\"");
}

TEST(BpeTrain, TrainsOnFilesAsWholeTexts) {
  TempDir dir;
  {
    std::ofstream(dir / "a.txt") << "low low low\nlower\n";
    std::ofstream(dir / "b.txt") << "lowest low\n";
  }
  const BpeTokenizer from_files = BpeTokenizer::train_files({dir / "a.txt", dir / "b.txt"}, 300);
  const BpeTokenizer from_lines =
      BpeTokenizer::train({"low low low\nlower\n", "lowest low\n"}, 300);
  EXPECT_EQ(merge_texts(from_files), merge_texts(from_lines));
  EXPECT_FALSE(from_files.merges().empty());
}

// ---------------------------------------------------------------------------
// Encoding and decoding

TEST(BpeEncode, TheDefaultTokenizerHasOnlyBytesAndSpecialTokens) {
  const BpeTokenizer tok;
  EXPECT_EQ(tok.vocab_size(), 260u);
  EXPECT_TRUE(tok.merges().empty());
  EXPECT_EQ(tok.encode("hi!"), (Ids{byte_id('h'), byte_id('i'), byte_id('!')}));
  EXPECT_EQ(tok.decode(tok.encode("hi!")), "hi!");
}

TEST(BpeEncode, RoundTripsAnyText) {
  const BpeTokenizer& tok = mixed_tokenizer();
  const std::vector<std::string> texts = {
      "",
      "A man in an orange hat starring at something.",
      "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche. ÄÖÜäöüß",
      "Emoji: 👍🏽 👨‍👩‍👧 🇩🇪 ❤️",
      "CJK: 日本語のテキスト、中文文本。한국어",
      "   ",
      " \t\n\r\n  \v\f  x  \n\n\n",
      std::string("nul\0inside", 10),
      "\xff\xfe\xfd",                    // never valid in UTF-8
      "\xc3\x28 \xa0\xa1",               // bad continuation, lone continuation bytes
      "\xc0\xaf \xed\xa0\x80 \xf4\x90",  // overlong, surrogate, past U+10FFFF
      "truncated \xe2\x82",
      "<pad><bos><eos><unk> <eos>",
  };
  for (const auto& text : texts) {
    const Ids ids = tok.encode(text);
    EXPECT_EQ(tok.decode(ids), text) << text;
    for (const auto id : ids) EXPECT_GE(id, kNumSpecialTokens) << text;
  }
  // The corpus's own words come out as few tokens.
  EXPECT_LT(tok.encode("Männer").size(), 6u);
}

TEST(BpeEncode, RoundTripsRandomBytes) {
  const BpeTokenizer& tok = mixed_tokenizer();
  std::mt19937 gen(2024);
  // Random bytes, and random strings of pieces the vocabulary knows, so that
  // merges fire next to arbitrary bytes.
  const std::vector<std::string> pieces = {"Mann", "ä", " der", "e", "n",    " ", "  ",
                                           "\n",   ".", "ß",    "👍", "\xff", "'s"};
  for (int t = 0; t < 3000; ++t) {
    std::string text;
    const std::size_t n = gen() % 48;
    for (std::size_t k = 0; k < n; ++k) {
      if (t % 2)
        text += static_cast<char>(gen());
      else
        text += pieces[gen() % pieces.size()];
    }
    const Ids ids = tok.encode(text);
    ASSERT_EQ(tok.decode(ids), text) << "case " << t;
    ASSERT_TRUE(std::all_of(ids.begin(), ids.end(), [](auto id) { return id >= 4; }));
  }
}

TEST(BpeEncode, EncodesAWordAsTrainingSegmentedIt) {
  // With the one merge a a, runs of a pair up from the left, as in training.
  const BpeTokenizer tok = BpeTokenizer::train({"aaa", "aaa"}, 261);
  ASSERT_EQ(merge_texts(tok), (std::vector<std::string>{"a a"}));
  EXPECT_EQ(tok.encode("aaa"), (Ids{260, byte_id('a')}));
  EXPECT_EQ(tok.encode("aaaaa"), (Ids{260, 260, byte_id('a')}));
}

TEST(BpeEncode, MatchesTheObviousEncoder) {
  const auto lines = random_lines(5, 200, "abcab");
  const BpeTokenizer tok = BpeTokenizer::train(lines, 400);
  ASSERT_GT(tok.merges().size(), 100u);
  for (const auto& line : random_lines(6, 300, "abcx"))
    ASSERT_EQ(tok.encode(line), reference_encode(tok, line)) << line;
  const BpeTokenizer& mixed = mixed_tokenizer();
  for (const auto& text :
       {"Zwei junge weiße Männer sind im Freien.", "Größe: „Grüße“ 👍🏽",
        "A little girl climbing into a wooden playhouse."})
    EXPECT_EQ(mixed.encode(text), reference_encode(mixed, text)) << text;
}

TEST(BpeEncode, BatchEncodingMatchesOneByOne) {
  const BpeTokenizer& tok = mixed_tokenizer();
  std::vector<std::string> texts;
  for (int i = 0; i < 1000; ++i)
    texts.push_back("Ein Mann Nr. " + std::to_string(i) + " mit Hut, the man " +
                    std::to_string(i * 7919));
  const auto batch = tok.encode_batch(texts, {.add_bos = true});
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(batch[i], tok.encode(texts[i], {.add_bos = true}));
}

TEST(BpeSpecialTokens, HaveFixedIdsAndAppearOnlyWhenAsked) {
  const BpeTokenizer& tok = mixed_tokenizer();
  EXPECT_EQ(kPadId, 0);
  EXPECT_EQ(kBosId, 1);
  EXPECT_EQ(kEosId, 2);
  EXPECT_EQ(kUnkId, 3);
  const std::vector<std::string> names = {"<pad>", "<bos>", "<eos>", "<unk>"};
  for (std::int64_t id = 0; id < 4; ++id) {
    EXPECT_EQ(special_token(id), names[id]);
    EXPECT_EQ(tok.id_to_token(id), names[id]);
    EXPECT_EQ(tok.token_to_id(names[id]), id);
  }
  for (std::int64_t id = 0; id < static_cast<std::int64_t>(tok.vocab_size()); ++id)
    ASSERT_EQ(tok.token_to_id(tok.id_to_token(id)), id);
  EXPECT_EQ(tok.token_to_id("no such token"), std::nullopt);

  const std::string text = "Ein Mann.";
  const Ids plain = tok.encode(text);
  Ids with = {kBosId};
  with.insert(with.end(), plain.begin(), plain.end());
  with.push_back(kEosId);
  EXPECT_EQ(tok.encode(text, {.add_bos = true, .add_eos = true}), with);
  EXPECT_EQ(tok.decode(with), text);
  EXPECT_EQ(tok.decode(with, {.skip_special = false}), "<bos>Ein Mann.<eos>");

  // Special-token text is ordinary bytes unless asked for.
  const std::string marked = "a <eos> b<pad>";
  const Ids as_bytes = tok.encode(marked);
  EXPECT_TRUE(std::none_of(as_bytes.begin(), as_bytes.end(), [](auto id) { return id < 4; }));
  EXPECT_EQ(tok.decode(as_bytes), marked);
  const Ids recognised = tok.encode(marked, {.special_tokens_in_text = true});
  EXPECT_EQ(std::count(recognised.begin(), recognised.end(), kEosId), 1);
  EXPECT_EQ(recognised.back(), kPadId);
  EXPECT_EQ(tok.decode(recognised), "a  b");
  EXPECT_EQ(tok.decode(recognised, {.skip_special = false}), marked);
  EXPECT_EQ(tok.encode("<<bos> <bo", {.special_tokens_in_text = true}),
            (Ids{byte_id('<'), kBosId, byte_id(' '), byte_id('<'), byte_id('b'), byte_id('o')}));
  EXPECT_HAS(error_of([] { special_token(4); }), "id 4 is not a special token id (0..3)");
}

TEST(BpeDecode, RejectsIdsOutsideTheVocabulary) {
  const BpeTokenizer& tok = mixed_tokenizer();
  const std::string n = std::to_string(tok.vocab_size());
  const std::string last = std::to_string(tok.vocab_size() - 1);
  const std::string msg = error_of([&] { tok.decode(Ids{5, 9000}); });
  EXPECT_HAS(msg, "decode: token id 9000 is outside the vocabulary of " + n + " tokens (ids 0.." +
                      last + ")");
  EXPECT_HAS(error_of([&] { tok.decode(Ids{-1}); }), "decode: token id -1 is outside");
  EXPECT_HAS(error_of([&] { tok.id_to_token(static_cast<std::int64_t>(tok.vocab_size())); }),
             "token id " + n + " is outside the vocabulary");
}

// ---------------------------------------------------------------------------
// The file

TEST(BpeFile, SaveThenLoadGivesIdenticalEncodings) {
  const BpeTokenizer& tok = mixed_tokenizer();
  TempDir dir;
  const auto path = dir / "tokenizer.json";
  tok.save(path);
  tok.save(path);  // replacing it leaves no temporary file behind
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"tokenizer.json"});
  const BpeTokenizer back = BpeTokenizer::load(path);
  EXPECT_EQ(back.vocab_size(), tok.vocab_size());
  EXPECT_EQ(merge_texts(back), merge_texts(tok));
  for (std::size_t id = 0; id < tok.vocab_size(); ++id)
    ASSERT_EQ(back.token_bytes(id), tok.token_bytes(id));
  for (const auto& text : {"Ein kleines Mädchen klettert.", "👍🏽 日本語", " \xff\xfe ", ""})
    EXPECT_EQ(back.encode(text), tok.encode(text)) << text;
  EXPECT_EQ(back.to_json(), tok.to_json());

  // The layout of Hugging Face's tokenizer.json.
  const json j = json::parse(testing::read_text(path));
  EXPECT_EQ(j["version"], "1.0");
  ASSERT_EQ(j["added_tokens"].size(), 4u);
  EXPECT_EQ(j["added_tokens"][2]["id"], 2);
  EXPECT_EQ(j["added_tokens"][2]["content"], "<eos>");
  EXPECT_EQ(j["added_tokens"][2]["special"], true);
  EXPECT_EQ(j["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(j["pre_tokenizer"]["add_prefix_space"], false);
  EXPECT_EQ(j["decoder"]["type"], "ByteLevel");
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["model"]["vocab"].size(), tok.vocab_size());
  EXPECT_EQ(j["model"]["vocab"]["<unk>"], 3);
  EXPECT_EQ(j["model"]["vocab"]["Ġ"], 4 + 32);
  const auto umlaut = tok.token_to_id("Ã¤");  // ä, two bytes the corpus merged
  ASSERT_TRUE(umlaut.has_value());
  EXPECT_EQ(j["model"]["vocab"]["Ã¤"], *umlaut);
  ASSERT_EQ(j["model"]["merges"].size(), tok.merges().size());
  EXPECT_EQ(j["model"]["merges"][0], merge_text(tok, tok.merges()[0]));
  EXPECT_EQ(j["model"]["qkv"]["format"], "qkv.bpe");
  EXPECT_EQ(j["model"]["qkv"]["format_version"], 1);
  EXPECT_TRUE(j["model"]["qkv"]["qkv_version"].is_string());
}

TEST(BpeFile, ReadsHuggingFaceFilesWithMergesAsPairs) {
  const BpeTokenizer& tok = mixed_tokenizer();
  json j = json::parse(tok.to_json());
  json pairs = json::array();
  for (const auto& m : j["model"]["merges"]) {
    const std::string s = m.get<std::string>();
    pairs.push_back({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  j["model"]["merges"] = pairs;
  j["model"].erase("qkv");
  const BpeTokenizer back = BpeTokenizer::from_json(j.dump(), "pairs.json");
  EXPECT_EQ(merge_texts(back), merge_texts(tok));
  EXPECT_EQ(back.encode("Zwei junge weiße Männer"), tok.encode("Zwei junge weiße Männer"));
}

// A small valid file, edited by `edit`, loaded from disk; returns the message.
std::string load_error(const std::function<void(json&)>& edit) {
  json j = json::parse(BpeTokenizer::train(sennrich_corpus(), 300).to_json());
  edit(j);
  TempDir dir;
  std::ofstream(dir / "tokenizer.json", std::ios::binary) << j.dump(2);
  const std::string msg = error_of([&] { BpeTokenizer::load(dir / "tokenizer.json"); });
  EXPECT_HAS(msg, "tokenizer file \"" + (dir / "tokenizer.json").string() + "\": ");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

std::string load_text_error(const std::string& text) {
  TempDir dir;
  std::ofstream(dir / "bad.json", std::ios::binary) << text;
  const std::string msg = error_of([&] { BpeTokenizer::load(dir / "bad.json"); });
  EXPECT_HAS(msg, "tokenizer file \"" + (dir / "bad.json").string() + "\": ");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  return msg;
}

TEST(BpeFile, MalformedFilesSayWhatIsWrong) {
  const std::string valid = BpeTokenizer::train(sennrich_corpus(), 300).to_json();
  EXPECT_HAS(load_text_error(""), "is empty");
  EXPECT_HAS(load_text_error("this is not JSON"), "is not valid JSON: parse error at line 1");
  EXPECT_HAS(load_text_error(valid.substr(0, valid.size() / 2)),
             "ends before its JSON is complete (truncated file?)");
  EXPECT_HAS(load_text_error("[1, 2]"), "is not a JSON object");
  std::string twice = valid;
  twice.insert(twice.find("\"es\": 260"), "\"es\": 5,\n");
  EXPECT_HAS(load_text_error(twice), "the key \"es\" appears twice in one object");

  EXPECT_HAS(load_error([](json& j) { j["version"] = "2.0"; }),
             "version \"2.0\" is not supported, expected \"1.0\"");
  EXPECT_HAS(load_error([](json& j) { j["model"]["type"] = "WordPiece"; }),
             "model type is \"WordPiece\", qkv reads only \"BPE\"");
  EXPECT_HAS(load_error([](json& j) { j["pre_tokenizer"]["add_prefix_space"] = true; }),
             "\"pre_tokenizer\" must set \"add_prefix_space\": false");
  EXPECT_HAS(load_error([](json& j) {
               j["normalizer"] = {{"type", "NFC"}};
             }),
             "\"normalizer\" is an object, but qkv applies no normalizer");
  EXPECT_HAS(load_error([](json& j) { j["model"]["qkv"]["format_version"] = 2; }),
             "format_version 2 is not supported (this qkv reads 1; written by a newer qkv?)");
  EXPECT_HAS(load_error([](json& j) { j["model"]["merges"][3] = "e zz"; }),
             "model.merges[3] \"e zz\": \"zz\" is not a token of the vocabulary");
  EXPECT_HAS(load_error([](json& j) { j["model"]["merges"][3] = "<pad> e"; }),
             "model.merges[3] \"<pad> e\": \"<pad>\" is a special token, which merges never join");
  EXPECT_HAS(load_error([](json& j) { j["model"]["merges"].push_back("l e"); }),
             "model.merges[12] \"l e\" makes \"le\", which is not a token of the vocabulary");
  EXPECT_HAS(load_error([](json& j) { j["model"]["merges"].push_back("e s"); }),
             "model.merges[12] \"e s\" repeats model.merges[0]");
  EXPECT_HAS(load_error([](json& j) { j["model"]["merges"][0] = "es"; }),
             "model.merges[0] \"es\" is not two tokens separated by one space");
  EXPECT_HAS(load_error([](json& j) { j["model"]["vocab"]["es"] = 100000; }),
             "model.vocab token \"es\" has id 100000, outside 0..271 for the 272 tokens");
  EXPECT_HAS(load_error([](json& j) { j["model"]["vocab"]["es"] = -1; }),
             "model.vocab token \"es\" has id -1, outside 0..271");
  EXPECT_HAS(load_error([](json& j) { j["model"]["vocab"]["es"] = "260"; }),
             "model.vocab token \"es\" has id \"260\", not an integer");
  EXPECT_HAS(load_error([](json& j) { j["model"]["vocab"]["es"] = 261; }),
             "id 261 is given to both \"es\" and \"est\"");
  EXPECT_HAS(load_error([](json& j) {
               j["model"]["vocab"]["€s"] = 260;
               j["model"]["vocab"].erase("es");
             }),
             "model.vocab token \"€s\" (id 260) is not a string in GPT-2's byte alphabet");
  EXPECT_HAS(load_error([](json& j) {
               j["model"]["vocab"]["ĠĠ"] = 36;
               j["model"]["vocab"].erase("Ġ");
             }),
             "model.vocab lacks the byte 0x20 (\"Ġ\"); a byte-level vocabulary holds all 256");
  EXPECT_HAS(load_error([](json& j) {
               j["added_tokens"].erase(2);
               j["model"]["vocab"].erase("<eos>");
               j["model"]["vocab"]["<eos2>"] = 2;
             }),
             "added_tokens lacks the special token <eos> (id 2)");
  EXPECT_HAS(load_error([](json& j) { j["added_tokens"][1]["id"] = 5; }),
             "added_tokens[1] gives <bos> id 5, but qkv's <bos> is 1");
  EXPECT_HAS(load_error([](json& j) { j["added_tokens"][0]["content"] = "<mask>"; }),
             "added_tokens[0] \"<mask>\" is not one of qkv's special tokens");
  EXPECT_HAS(load_error([](json& j) { j.erase("model"); }), "has no \"model\" object");

  EXPECT_HAS(error_of([] { BpeTokenizer::load("/no/such/tokenizer.json"); }),
             "cannot read tokenizer file \"/no/such/tokenizer.json\"");
}

// ---------------------------------------------------------------------------
// Multi30k, found through the data search path

// The Multi30k folder, or "" with `why` saying where the search path looked.
std::string find_multi30k(std::string& why) {
  try {
    return find_data_set("multi30k", {"train.de", "train.en", "val.de", "val.en"});
  } catch (const Error& e) {
    why = e.what();
    return "";
  }
}

TEST(BpeMulti30k, TrainsOnASubsetAndRoundTripsValidation) {
  std::string why;
  const std::string dir = find_multi30k(why);
  if (dir.empty()) GTEST_SKIP() << why;
  std::vector<std::string> lines = read_lines(dir + "/train.de", 4000);
  const auto en = read_lines(dir + "/train.en", 4000);
  lines.insert(lines.end(), en.begin(), en.end());

  const auto start = Clock::now();
  const BpeTokenizer tok = BpeTokenizer::train(lines, 2000);
  const double train_s = seconds_since(start);
  EXPECT_EQ(tok.vocab_size(), 2000u);
  std::reverse(lines.begin(), lines.end());
  EXPECT_EQ(merge_texts(BpeTokenizer::train(lines, 2000)), merge_texts(tok));

  for (const char* side : {"val.en", "val.de"}) {
    const auto val = read_lines(dir + "/" + side);
    ASSERT_GT(val.size(), 1000u);
    std::size_t tokens = 0, bytes = 0;
    for (const auto& line : val) {
      const Ids ids = tok.encode(line);
      ASSERT_EQ(tok.decode(ids), line);
      tokens += ids.size();
      bytes += line.size();
    }
    std::printf(
        "%s: %zu sentences, %.1f tokens per sentence, %.2f bytes per token "
        "(vocabulary 2000 from 8000 training lines in %.3f s)\n",
        side, val.size(), double(tokens) / val.size(), double(bytes) / tokens, train_s);
  }
}

TEST(BpeMulti30k, Trains8000TokensOnAllOfTrainAndEncodesItQuickly) {
  std::string why;
  const std::string dir = find_multi30k(why);
  if (dir.empty()) GTEST_SKIP() << why;
  auto start = Clock::now();
  const BpeTokenizer tok = BpeTokenizer::train_files({dir + "/train.de", dir + "/train.en"}, 8000);
  const double train_s = seconds_since(start);
  EXPECT_EQ(tok.vocab_size(), 8000u);

  std::vector<std::string> lines = read_lines(dir + "/train.de");
  const auto en = read_lines(dir + "/train.en");
  lines.insert(lines.end(), en.begin(), en.end());
  ASSERT_EQ(lines.size(), 58000u);
  std::size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();

  // Fresh copies read from the file, so each starts with an empty word cache.
  const std::string file = tok.to_json();
  const BpeTokenizer cold = BpeTokenizer::from_json(file);
  start = Clock::now();
  std::size_t tokens = 0;
  std::vector<Ids> encoded;
  encoded.reserve(lines.size());
  for (const auto& l : lines) {
    encoded.push_back(cold.encode(l));
    tokens += encoded.back().size();
  }
  const double encode_s = seconds_since(start);
  start = Clock::now();
  for (const auto& l : lines) cold.encode(l);
  const double warm_s = seconds_since(start);
  const BpeTokenizer cold_batch = BpeTokenizer::from_json(file);
  start = Clock::now();
  const auto batch = cold_batch.encode_batch(lines);
  const double batch_s = seconds_since(start);
  EXPECT_EQ(batch, encoded);
  for (std::size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(cold.decode(encoded[i]), lines[i]);

  const double mb = bytes / 1e6;
  std::printf(
      "Multi30k train.de + train.en (%zu sentences, %.2f MB): vocabulary 8000 trained in "
      "%.2f s; encoded in %.3f s (%.1f MB/s) with an empty word cache, %.3f s (%.1f MB/s) "
      "with a full one, %.3f s by encode_batch on %d threads; %.1f tokens per sentence\n",
      lines.size(), mb, train_s, encode_s, mb / encode_s, warm_s, mb / warm_s, batch_s,
      num_threads(), double(tokens) / lines.size());
}

}  // namespace
}  // namespace qkv::data
