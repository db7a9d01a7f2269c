#include "data/bpe.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <set>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "io/atomic_file.h"

namespace qkv::data {

namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, kNumSpecialTokens> kSpecialTokens = {"<pad>", "<bos>",
                                                                            "<eos>", "<unk>"};
constexpr std::string_view kFormatName = "qkv.bpe";
constexpr int kFormatVersion = 1;

// ---------------------------------------------------------------------------
// Pre-tokenisation

enum class CharClass : std::uint8_t { letter, digit, space, other };

struct Char {
  CharClass cls;
  std::uint8_t size;  // bytes
};

constexpr std::array<CharClass, 128> ascii_classes() {
  std::array<CharClass, 128> t{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
      t[c] = CharClass::letter;
    else if (c >= '0' && c <= '9')
      t[c] = CharClass::digit;
    else if (c == ' ' || (c >= '\t' && c <= '\r'))
      t[c] = CharClass::space;
    else
      t[c] = CharClass::other;
  }
  return t;
}
constexpr std::array<CharClass, 128> kAscii = ascii_classes();

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// The Unicode class GPT-2's expression would see, for the blocks text mostly
// uses; see pre_tokenize in bpe.h for what is left out.
CharClass classify_code_point(char32_t c) {
  if (c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) || c == 0x2028 ||
      c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000)
    return CharClass::space;
  if (c < 0x100) {
    if (c == 0xB2 || c == 0xB3 || c == 0xB9 || in(c, 0xBC, 0xBE)) return CharClass::digit;
    if (c == 0xAA || c == 0xB5 || c == 0xBA) return CharClass::letter;
    if (c < 0xC0 || c == 0xD7 || c == 0xF7) return CharClass::other;
    return CharClass::letter;
  }
  if (in(c, 0xFF10, 0xFF19) || c == 0x3007 || in(c, 0x3021, 0x3029) || in(c, 0x3038, 0x303A))
    return CharClass::digit;
  if (in(c, 0x2000, 0x206F) ||                           // general punctuation
      in(c, 0x20A0, 0x20CF) ||                           // currency
      in(c, 0x2190, 0x2BFF) ||                           // arrows, maths, shapes, dingbats
      in(c, 0x3001, 0x3004) || in(c, 0x3008, 0x3020) ||  // CJK punctuation
      c == 0x3030 || in(c, 0x3036, 0x3037) || in(c, 0x303D, 0x303F) ||
      in(c, 0xFE00, 0xFE0F) ||                           // variation selectors (emoji)
      in(c, 0xFF01, 0xFF0F) || in(c, 0xFF1A, 0xFF20) ||  // full-width punctuation
      in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) ||
      in(c, 0x1F000, 0x1FAFF) ||  // emoji and other pictographs
      in(c, 0xE0020, 0xE007F))    // tags (flag sequences)
    return CharClass::other;
  return CharClass::letter;
}

// The character starting at s[i]: a valid UTF-8 sequence (no overlong forms,
// surrogates or code points past U+10FFFF), or else the single byte.
Char classify(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return {kAscii[b], 1};
  int extra;
  char32_t cp;
  if (b >= 0xC2 && b <= 0xDF) {
    extra = 1, cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    extra = 2, cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    extra = 3, cp = b & 0x07;
  } else {
    return {CharClass::letter, 1};
  }
  if (i + extra >= s.size()) return {CharClass::letter, 1};
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return {CharClass::letter, 1};
    cp = (cp << 6) | (c & 0x3F);
  }
  const char32_t min_cp = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
  if (cp < min_cp || cp > 0x10FFFF || in(cp, 0xD800, 0xDFFF)) return {CharClass::letter, 1};
  return {classify_code_point(cp), static_cast<std::uint8_t>(extra + 1)};
}

// Length of the contraction suffix ('s 't 're 've 'm 'll 'd) at s[i], or 0.
std::size_t contraction(std::string_view s, std::size_t i) {
  if (s[i] != '\'' || i + 1 >= s.size()) return 0;
  const char a = s[i + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 < s.size() && ((a == 'r' && s[i + 2] == 'e') || (a == 'v' && s[i + 2] == 'e') ||
                           (a == 'l' && s[i + 2] == 'l')))
    return 3;
  return 0;
}

// Calls emit(word) for each word of `s` in order; the alternatives are tried in
// the order of GPT-2's expression.
template <class Emit>
void for_each_word(std::string_view s, Emit&& emit) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (const std::size_t len = contraction(s, i)) {
      emit(s.substr(i, len));
      i += len;
      continue;
    }
    Char c = classify(s, i);
    std::size_t j = i;
    if (s[i] == ' ' && i + 1 < n) {
      const Char after = classify(s, i + 1);
      if (after.cls != CharClass::space) c = after, j = i + 1;
    }
    if (c.cls != CharClass::space) {
      j += c.size;
      while (j < n) {
        const Char e = classify(s, j);
        if (e.cls != c.cls) break;
        j += e.size;
      }
      emit(s.substr(i, j - i));
      i = j;
      continue;
    }
    // A whitespace run. Followed by a word, it stops short of its last
    // character, which the next word takes if it is a space (\s+(?!\S)).
    std::size_t last = i;
    while (j < n) {
      const Char e = classify(s, j);
      if (e.cls != CharClass::space) break;
      last = j;
      j += e.size;
    }
    const std::size_t end = (j < n && last > i) ? last : j;
    emit(s.substr(i, end - i));
    i = end;
  }
}

// ---------------------------------------------------------------------------
// GPT-2's byte alphabet

struct Alphabet {
  std::array<char32_t, 256> code_point{};
  std::unordered_map<char32_t, std::uint8_t> byte_of;
  Alphabet() {
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = in(b, '!', '~') || in(b, 0xA1, 0xAC) || in(b, 0xAE, 0xFF);
      code_point[b] = printable ? static_cast<char32_t>(b) : next++;
      byte_of[code_point[b]] = static_cast<std::uint8_t>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet a;
  return a;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    // The alphabet stops at U+0143, so two bytes always suffice.
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// ---------------------------------------------------------------------------
// Shared helpers

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32 |
         static_cast<std::uint32_t>(right);
}
std::int32_t key_left(std::uint64_t key) { return static_cast<std::int32_t>(key >> 32); }
std::int32_t key_right(std::uint64_t key) { return static_cast<std::int32_t>(key & 0xFFFFFFFFu); }

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Text as shown in messages: at most `max` bytes, cut at a character boundary.
std::string shown(std::string_view text, std::size_t max = 80) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string hex_byte(int b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", b);
  return text;
}

std::string read_whole_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read ", what, " ", path, ": ", std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) fail("cannot read ", what, " ", path, ": ", std::strerror(errno));
  return std::move(s).str();
}

}  // namespace

std::string_view special_token(std::int64_t id) {
  check(id >= 0 && id < kNumSpecialTokens, "special_token: id ", id,
        " is not a special token id (0..", kNumSpecialTokens - 1, ")");
  return kSpecialTokens[static_cast<std::size_t>(id)];
}

std::vector<std::string_view> pre_tokenize(std::string_view text) {
  std::vector<std::string_view> words;
  for_each_word(text, [&](std::string_view w) { words.push_back(w); });
  return words;
}

std::string bytes_to_alphabet(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) append_utf8(out, alphabet().code_point[static_cast<unsigned char>(c)]);
  return out;
}

std::optional<std::string> alphabet_to_bytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size();) {
    const auto b = static_cast<unsigned char>(token[i]);
    char32_t cp;
    if (b < 0x80) {
      cp = b, i += 1;
    } else if (b >= 0xC2 && b <= 0xDF && i + 1 < token.size() &&
               (static_cast<unsigned char>(token[i + 1]) & 0xC0) == 0x80) {
      cp = (b & 0x1F) << 6 | (static_cast<unsigned char>(token[i + 1]) & 0x3F), i += 2;
    } else {
      return std::nullopt;  // invalid UTF-8, or a code point past U+07FF
    }
    const auto it = alphabet().byte_of.find(cp);
    if (it == alphabet().byte_of.end()) return std::nullopt;
    out += static_cast<char>(it->second);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The model

namespace detail {

struct BpeModel {
  struct Rule {
    std::int32_t left, right, result;
  };

  std::vector<std::string> bytes;  // of each id; special tokens: their text
  std::array<std::int32_t, 256> byte_id{};
  std::vector<Rule> merges;                              // in rank order
  std::unordered_map<std::uint64_t, std::int32_t> rank;  // pair -> index in merges
  StringMap<std::int32_t> id_of;                         // bytes -> id

  // Fills rank and id_of from bytes and merges.
  void index() {
    rank.clear();
    rank.reserve(merges.size());
    for (std::size_t r = 0; r < merges.size(); ++r)
      rank.emplace(pair_key(merges[r].left, merges[r].right), static_cast<std::int32_t>(r));
    id_of.clear();
    id_of.reserve(bytes.size());
    for (std::size_t id = 0; id < bytes.size(); ++id)
      id_of.emplace(bytes[id], static_cast<std::int32_t>(id));
  }

  std::int64_t size() const { return static_cast<std::int64_t>(bytes.size()); }

  // Applies the merges to one word: always the lowest-ranked pair present
  // next, the leftmost among equals, which is the order training made them.
  // A heap of candidate pairs over a linked list of symbols keeps this
  // O(n log n) in the word length.
  void merge_word(std::string_view word, std::vector<std::int32_t>& out) const {
    struct Candidate {
      std::int32_t rank, pos, left, right;
    };
    const auto later = [](const Candidate& a, const Candidate& b) {
      return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    thread_local std::vector<std::int32_t> sym, next, prev;
    thread_local std::vector<Candidate> heap;
    const auto n = static_cast<std::int32_t>(word.size());
    sym.resize(word.size());
    next.resize(word.size());
    prev.resize(word.size());
    heap.clear();
    for (std::int32_t i = 0; i < n; ++i) {
      sym[i] = byte_id[static_cast<unsigned char>(word[i])];
      next[i] = i + 1;
      prev[i] = i - 1;
    }
    // The candidate for the pair that starts at `pos`, pushed if it has a merge.
    const auto offer = [&](std::int32_t pos) {
      const std::int32_t r = next[pos];
      if (r >= n) return;
      const auto it = rank.find(pair_key(sym[pos], sym[r]));
      if (it == rank.end()) return;
      heap.push_back({it->second, pos, sym[pos], sym[r]});
      std::push_heap(heap.begin(), heap.end(), later);
    };
    for (std::int32_t i = 0; i + 1 < n; ++i) offer(i);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const Candidate c = heap.back();
      heap.pop_back();
      // A candidate is stale once either of its symbols has been merged away.
      const std::int32_t r = next[c.pos];
      if (sym[c.pos] != c.left || r >= n || sym[r] != c.right) continue;
      sym[c.pos] = merges[c.rank].result;
      sym[r] = -1;
      next[c.pos] = next[r];
      if (next[r] < n) prev[next[r]] = c.pos;
      if (prev[c.pos] >= 0) offer(prev[c.pos]);
      offer(c.pos);
    }
    out.clear();
    for (std::int32_t i = 0; i < n; i = next[i]) out.push_back(sym[i]);
  }

  // Encoded words, shared by every copy of the tokenizer and every thread.
  // Long words are not kept, and the cache stops growing when full, so
  // encoding arbitrary bytes cannot exhaust memory.
  static constexpr std::size_t kMaxCachedWordBytes = 64;
  static constexpr std::size_t kMaxCachedWords = 1 << 17;
  mutable std::shared_mutex cache_mutex;
  mutable StringMap<std::vector<std::int32_t>> cache;

  void encode_word(std::string_view word, std::vector<std::int64_t>& out) const {
    if (word.size() == 1) {
      out.push_back(byte_id[static_cast<unsigned char>(word[0])]);
      return;
    }
    const bool cacheable = word.size() <= kMaxCachedWordBytes;
    if (cacheable) {
      std::shared_lock lock(cache_mutex);
      if (const auto it = cache.find(word); it != cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    thread_local std::vector<std::int32_t> ids;
    merge_word(word, ids);
    out.insert(out.end(), ids.begin(), ids.end());
    if (cacheable) {
      std::unique_lock lock(cache_mutex);
      if (cache.size() < kMaxCachedWords) cache.emplace(word, ids);
    }
  }

  void encode_text(std::string_view text, std::vector<std::int64_t>& out) const {
    for_each_word(text, [&](std::string_view w) { encode_word(w, out); });
  }

  void check_id(std::int64_t id, std::string_view what) const {
    check(id >= 0 && id < size(), what, ": token id ", id, " is outside the vocabulary of ", size(),
          " tokens (ids 0..", size() - 1, ")");
  }
};

// The special tokens, then the bytes in byte order, and no merges.
std::shared_ptr<BpeModel> base_model() {
  auto m = std::make_shared<BpeModel>();
  for (const auto s : kSpecialTokens) m->bytes.emplace_back(s);
  for (int b = 0; b < 256; ++b) {
    m->byte_id[b] = static_cast<std::int32_t>(m->bytes.size());
    m->bytes.emplace_back(1, static_cast<char>(b));
  }
  m->index();
  return m;
}

}  // namespace detail

BpeTokenizer::BpeTokenizer() : model_(detail::base_model()) {}

// ---------------------------------------------------------------------------
// Training

namespace {

struct TrainWord {
  std::vector<std::int32_t> symbols;
  std::int64_t count;
};

struct PairCount {
  std::int64_t count;
  std::uint64_t pair;
};

// Heap order: the most frequent pair on top, the smaller (left, right) among
// equals. The pair key orders as (left, right) does.
struct FewerOrLaterPair {
  bool operator()(const PairCount& a, const PairCount& b) const {
    return a.count != b.count ? a.count < b.count : a.pair > b.pair;
  }
};

// Replaces each (a, b) in `s`, left to right without overlap, with x and
// reports how the counts of adjacent pairs change, as change(left, right, +1
// or -1). The neighbour on the left is taken from the rewritten sequence, so
// runs like "a b a b" and "a a a" count right.
template <class Change>
void merge_in_word(std::vector<std::int32_t>& s, std::int32_t a, std::int32_t b, std::int32_t x,
                   Change&& change) {
  const std::size_t n = s.size();
  std::size_t j = 0;
  for (std::size_t i = 0; i < n;) {
    if (i + 1 < n && s[i] == a && s[i + 1] == b) {
      change(a, b, -1);
      if (j > 0) {
        change(s[j - 1], a, -1);
        change(s[j - 1], x, +1);
      }
      if (i + 2 < n) {
        change(b, s[i + 2], -1);
        change(x, s[i + 2], +1);
      }
      s[j++] = x;
      i += 2;
    } else {
      s[j++] = s[i++];
    }
  }
  s.resize(j);
}

// The merge loop over word counts. Pair counts are kept up to date by the
// changes each merge makes in the words that hold the merged pair (found
// through `where`), and the next pair comes from a heap whose entries may be
// stale: an entry whose count no longer matches is pushed back with the
// current count when it reaches the top.
void learn_merges(detail::BpeModel& m, std::vector<TrainWord>& words, std::size_t vocab_size,
                  const BpeTrainOptions& options) {
  std::unordered_map<std::uint64_t, std::int64_t> counts;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> where;
  for (std::uint32_t w = 0; w < words.size(); ++w) {
    const auto& s = words[w].symbols;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      const std::uint64_t key = pair_key(s[i], s[i + 1]);
      counts[key] += words[w].count;
      auto& list = where[key];
      if (list.empty() || list.back() != w) list.push_back(w);
    }
  }
  std::priority_queue<PairCount, std::vector<PairCount>, FewerOrLaterPair> heap;
  for (const auto& [key, count] : counts)
    if (count >= options.min_frequency) heap.push({count, key});

  std::size_t since_report = 0;
  std::int64_t last_count = 0;
  const auto report = [&] {
    if (options.on_progress) options.on_progress({m.bytes.size(), vocab_size, last_count});
    since_report = 0;
  };
  std::vector<std::uint64_t> increased;
  while (m.bytes.size() < vocab_size && !heap.empty()) {
    const PairCount top = heap.top();
    heap.pop();
    const auto found = counts.find(top.pair);
    const std::int64_t current = found == counts.end() ? 0 : found->second;
    if (current != top.count) {
      if (current >= options.min_frequency) heap.push({current, top.pair});
      continue;
    }
    const std::int32_t a = key_left(top.pair), b = key_right(top.pair);
    // The new token's bytes spell no earlier token: a token is a span of a
    // word no merge has joined to its neighbours, and such a span goes through
    // the same merges in every word that holds it, so it is made only once.
    const auto x = static_cast<std::int32_t>(m.bytes.size());
    m.bytes.push_back(m.bytes[a] + m.bytes[b]);
    m.merges.push_back({a, b, x});
    last_count = top.count;

    std::vector<std::uint32_t> holders = std::move(where[top.pair]);
    where.erase(top.pair);
    increased.clear();
    for (const std::uint32_t w : holders) {
      const std::int64_t n = words[w].count;
      merge_in_word(words[w].symbols, a, b, x,
                    [&](std::int32_t left, std::int32_t right, int sign) {
                      const std::uint64_t key = pair_key(left, right);
                      counts[key] += sign * n;
                      if (sign > 0) {
                        auto& list = where[key];
                        if (list.empty() || list.back() != w) list.push_back(w);
                        increased.push_back(key);
                      }
                    });
    }
    counts.erase(top.pair);
    std::sort(increased.begin(), increased.end());
    increased.erase(std::unique(increased.begin(), increased.end()), increased.end());
    for (const std::uint64_t key : increased)
      if (const std::int64_t c = counts[key]; c >= options.min_frequency) heap.push({c, key});
    if (++since_report == options.progress_every) report();
  }
  if (since_report > 0 || m.merges.empty()) report();
}

std::shared_ptr<detail::BpeModel> train_on(const std::vector<std::string_view>& texts,
                                           std::size_t vocab_size, const BpeTrainOptions& options) {
  check(vocab_size >= static_cast<std::size_t>(kBaseVocabSize), "BPE training: vocab_size ",
        vocab_size, " is too small: the ", kNumSpecialTokens, " special tokens and 256 bytes need ",
        kBaseVocabSize);
  check(vocab_size <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
        "BPE training: vocab_size ", vocab_size, " is too large (at most ",
        std::numeric_limits<std::int32_t>::max(), ")");
  check(options.min_frequency >= 1, "BPE training: min_frequency must be at least 1, got ",
        options.min_frequency);
  check(options.progress_every >= 1, "BPE training: progress_every must be at least 1");

  std::unordered_map<std::string_view, std::int64_t> counts;
  for (const auto text : texts) for_each_word(text, [&](std::string_view w) { ++counts[w]; });
  // Words in byte order, so nothing below depends on hashing.
  std::vector<std::pair<std::string_view, std::int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());

  auto m = detail::base_model();
  std::vector<TrainWord> words;
  words.reserve(sorted.size());
  for (const auto& [word, count] : sorted) {
    TrainWord w{{}, count};
    w.symbols.reserve(word.size());
    for (const char c : word) w.symbols.push_back(m->byte_id[static_cast<unsigned char>(c)]);
    words.push_back(std::move(w));
  }
  learn_merges(*m, words, vocab_size, options);
  m->index();
  return m;
}

}  // namespace

BpeTokenizer BpeTokenizer::train(const std::vector<std::string>& lines, std::size_t vocab_size,
                                 const BpeTrainOptions& options) {
  return BpeTokenizer(
      train_on(std::vector<std::string_view>(lines.begin(), lines.end()), vocab_size, options));
}

BpeTokenizer BpeTokenizer::train_files(const std::vector<std::filesystem::path>& files,
                                       std::size_t vocab_size, const BpeTrainOptions& options) {
  std::vector<std::string> contents;
  contents.reserve(files.size());
  for (const auto& f : files) contents.push_back(read_whole_file(f, "training file"));
  return BpeTokenizer(train_on(std::vector<std::string_view>(contents.begin(), contents.end()),
                               vocab_size, options));
}

// ---------------------------------------------------------------------------
// Encoding and decoding

std::vector<std::int64_t> BpeTokenizer::encode(std::string_view text,
                                               const BpeEncodeOptions& options) const {
  // Positions within a word are 32-bit.
  check(text.size() <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
        "encode: the text is ", text.size(), " bytes long, more than the ",
        std::numeric_limits<std::int32_t>::max(), " one call takes");
  std::vector<std::int64_t> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_bos) out.push_back(kBosId);
  if (!options.special_tokens_in_text) {
    model_->encode_text(text, out);
  } else {
    // A special token also ends the word before it, as Hugging Face's added
    // tokens do.
    std::size_t start = 0;
    for (std::size_t i = text.find('<'); i != std::string_view::npos; i = text.find('<', i)) {
      const auto special = std::find(kSpecialTokens.begin(), kSpecialTokens.end(),
                                     text.substr(i, kSpecialTokens[0].size()));
      if (special == kSpecialTokens.end()) {
        ++i;
        continue;
      }
      model_->encode_text(text.substr(start, i - start), out);
      out.push_back(special - kSpecialTokens.begin());
      i += special->size();
      start = i;
    }
    model_->encode_text(text.substr(start), out);
  }
  if (options.add_eos) out.push_back(kEosId);
  return out;
}

std::vector<std::vector<std::int64_t>> BpeTokenizer::encode_batch(
    const std::vector<std::string>& texts, const BpeEncodeOptions& options) const {
  std::vector<std::vector<std::int64_t>> out(texts.size());
  const auto n = static_cast<std::ptrdiff_t>(texts.size());
#pragma omp parallel for schedule(dynamic, 64) if (n > 256)
  for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = encode(texts[i], options);
  return out;
}

std::string BpeTokenizer::decode(std::span<const std::int64_t> ids,
                                 const BpeDecodeOptions& options) const {
  std::string out;
  out.reserve(ids.size() * 4);
  for (const std::int64_t id : ids) {
    model_->check_id(id, "decode");
    if (id < kNumSpecialTokens && options.skip_special) continue;
    out += model_->bytes[static_cast<std::size_t>(id)];
  }
  return out;
}

std::size_t BpeTokenizer::vocab_size() const { return model_->bytes.size(); }

std::string BpeTokenizer::id_to_token(std::int64_t id) const {
  return bytes_to_alphabet(token_bytes(id));
}

std::optional<std::int64_t> BpeTokenizer::token_to_id(std::string_view token) const {
  const auto bytes = alphabet_to_bytes(token);
  if (!bytes) return std::nullopt;
  const auto it = model_->id_of.find(*bytes);
  if (it == model_->id_of.end()) return std::nullopt;
  return it->second;
}

const std::string& BpeTokenizer::token_bytes(std::int64_t id) const {
  model_->check_id(id, "token_bytes");
  return model_->bytes[static_cast<std::size_t>(id)];
}

std::vector<BpeTokenizer::Merge> BpeTokenizer::merges() const {
  std::vector<Merge> out;
  out.reserve(model_->merges.size());
  for (const auto& r : model_->merges) out.push_back({r.left, r.right, r.result});
  return out;
}

// ---------------------------------------------------------------------------
// The tokenizer.json file

std::string BpeTokenizer::to_json() const {
  using ojson = nlohmann::ordered_json;
  const detail::BpeModel& m = *model_;
  ojson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  ojson added = ojson::array();
  for (std::size_t id = 0; id < kSpecialTokens.size(); ++id)
    added.push_back({{"id", id},
                     {"content", kSpecialTokens[id]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  j["added_tokens"] = std::move(added);
  j["normalizer"] = nullptr;
  const ojson byte_level = {{"type", "ByteLevel"},
                            {"add_prefix_space", false},
                            {"trim_offsets", true},
                            {"use_regex", true}};
  j["pre_tokenizer"] = byte_level;
  j["post_processor"] = nullptr;
  j["decoder"] = byte_level;
  ojson model;
  model["type"] = "BPE";
  model["dropout"] = nullptr;
  model["unk_token"] = nullptr;
  model["continuing_subword_prefix"] = nullptr;
  model["end_of_word_suffix"] = nullptr;
  model["fuse_unk"] = false;
  model["byte_fallback"] = false;
  model["ignore_merges"] = false;
  ojson vocab = ojson::object();
  for (std::size_t id = 0; id < m.bytes.size(); ++id) vocab[bytes_to_alphabet(m.bytes[id])] = id;
  model["vocab"] = std::move(vocab);
  ojson merges = ojson::array();
  for (const auto& r : m.merges)
    merges.push_back(bytes_to_alphabet(m.bytes[r.left]) + " " +
                     bytes_to_alphabet(m.bytes[r.right]));
  model["merges"] = std::move(merges);
  model["qkv"] = {
      {"format", kFormatName}, {"format_version", kFormatVersion}, {"qkv_version", QKV_VERSION}};
  j["model"] = std::move(model);
  return j.dump(2) + "\n";
}

void BpeTokenizer::save(const std::filesystem::path& path) const {
  const std::string text = to_json();
  write_file_atomically(path, [&](AtomicFileOutput& out) { out.write(text); });
}

namespace {

class FileParser {
 public:
  explicit FileParser(std::string_view source)
      : where_("tokenizer file \"" + std::string(source) + "\"") {}

  template <class... Parts>
  [[noreturn]] void bad(const Parts&... parts) const {
    fail(where_, ": ", parts...);
  }

  json parse(std::string_view text) const {
    if (text.empty()) bad("is empty");
    // A JSON object keeps one value per key, so repeated keys (two tokens
    // spelled the same in the vocabulary) are caught while parsing.
    std::vector<std::set<std::string>> open;
    std::optional<std::string> repeated;
    const auto track = [&](int, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::object_start) {
        open.emplace_back();
      } else if (event == json::parse_event_t::object_end) {
        open.pop_back();
      } else if (event == json::parse_event_t::key && !open.empty()) {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open.back().insert(key).second && !repeated) repeated = key;
      }
      return true;
    };
    json j;
    try {
      j = json::parse(text.begin(), text.end(), track);
    } catch (const json::parse_error& e) {
      if (e.byte > text.size()) bad("ends before its JSON is complete (truncated file?)");
      std::string what = e.what();
      if (const auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
      bad("is not valid JSON: ", shown(what, 300));
    }
    if (repeated) bad("the key \"", shown(*repeated), "\" appears twice in one object");
    if (!j.is_object()) bad("is not a JSON object (not a tokenizer.json file?)");
    return j;
  }

  // An optional member that must be null when present.
  void expect_null(const json& parent, const char* key, std::string_view why) const {
    const auto it = parent.find(key);
    if (it != parent.end() && !it->is_null()) bad("\"", key, "\" is ", brief(*it), ", but ", why);
  }

  void expect_byte_level(const json& j, const char* key) const {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_object() || it->value("type", json()) != "ByteLevel")
      bad("\"", key, "\" must be {\"type\": \"ByteLevel\", ...}, got ",
          it == j.end() ? std::string("nothing") : brief(*it));
    if (std::string_view(key) == "pre_tokenizer") {
      // Hugging Face's default for a missing add_prefix_space is true.
      if (it->value("add_prefix_space", json(true)) != false)
        bad("\"pre_tokenizer\" must set \"add_prefix_space\": false (qkv adds no space)");
      if (it->value("use_regex", json(true)) != true)
        bad("\"pre_tokenizer\" must split with GPT-2's expression (\"use_regex\": true)");
    }
  }

  std::shared_ptr<detail::BpeModel> read(const json& j) const {
    const auto version = j.find("version");
    if (version == j.end()) bad("has no \"version\" (not a tokenizer.json file?)");
    if (*version != "1.0") bad("version ", brief(*version), " is not supported, expected \"1.0\"");
    expect_null(j, "normalizer", "qkv applies no normalizer");
    expect_byte_level(j, "pre_tokenizer");
    expect_byte_level(j, "decoder");

    const auto model_it = j.find("model");
    if (model_it == j.end() || !model_it->is_object()) bad("has no \"model\" object");
    const json& model = *model_it;
    const json type = model.value("type", json());
    if (type != "BPE") bad("model type is ", brief(type), ", qkv reads only \"BPE\"");
    expect_null(model, "dropout", "qkv's BPE has no dropout");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      const auto it = model.find(key);
      if (it != model.end() && !it->is_null() && *it != "")
        bad("model \"", key, "\" is ", brief(*it), ", but byte-level BPE uses none");
    }
    if (model.value("byte_fallback", json(false)) != false)
      bad("model \"byte_fallback\" must be false");
    if (const auto qkv = model.find("qkv"); qkv != model.end()) check_qkv_section(*qkv);

    auto m = std::make_shared<detail::BpeModel>();
    read_vocab(j, model, *m);
    read_merges(model, *m);
    m->index();
    return m;
  }

 private:
  static std::string brief(const json& v) {
    if (v.is_object()) return "an object";
    if (v.is_array()) return "an array of " + std::to_string(v.size());
    return shown(v.dump(-1, ' ', true), 80);
  }

  void check_qkv_section(const json& q) const {
    if (!q.is_object()) bad("model \"qkv\" must be an object, got ", brief(q));
    if (q.value("format", json()) != kFormatName)
      bad("model \"qkv\" \"format\" is ", brief(q.value("format", json())), ", expected \"",
          kFormatName, "\"");
    const json v = q.value("format_version", json());
    if (!v.is_number_integer()) bad("model \"qkv\" has no integer \"format_version\"");
    if (v.get<std::int64_t>() != kFormatVersion)
      bad("format_version ", v.get<std::int64_t>(), " is not supported (this qkv reads ",
          kFormatVersion,
          v.get<std::int64_t>() > kFormatVersion ? "; written by a newer qkv?)" : ")");
  }

  // An id from the file: a non-negative integer below `limit`.
  std::int64_t read_id(const json& v, std::string_view what, std::int64_t limit) const {
    if (!v.is_number_integer()) bad(what, " has id ", brief(v), ", not an integer");
    const bool negative = v.is_number_unsigned() ? false : v.get<std::int64_t>() < 0;
    if (negative || v.get<std::uint64_t>() >= static_cast<std::uint64_t>(limit))
      bad(what, " has id ", brief(v), ", outside 0..", limit - 1, " for the ", limit,
          " tokens of this file");
    return v.get<std::int64_t>();
  }

  void read_vocab(const json& j, const json& model, detail::BpeModel& m) const {
    const auto vocab_it = model.find("vocab");
    if (vocab_it == model.end() || !vocab_it->is_object())
      bad("model has no \"vocab\" object of token: id");
    const json& vocab = *vocab_it;
    const auto added_it = j.find("added_tokens");
    if (added_it == j.end() || !added_it->is_array())
      bad("has no \"added_tokens\" array, so it lacks the special token ", kSpecialTokens[0],
          " (id 0)");
    const json& added = *added_it;

    // Special tokens listed only among the added tokens still take an id.
    std::int64_t total = static_cast<std::int64_t>(vocab.size());
    for (const auto& t : added)
      if (t.is_object() && t.contains("content") && t["content"].is_string() &&
          !vocab.contains(t["content"].get<std::string>()))
        ++total;
    if (total > std::numeric_limits<std::int32_t>::max())
      bad("holds ", total, " tokens, more than qkv's ids allow");

    m.bytes.assign(static_cast<std::size_t>(total), std::string());
    std::vector<std::string> spelled(static_cast<std::size_t>(total));
    std::vector<bool> taken(static_cast<std::size_t>(total), false);
    const auto take = [&](std::int64_t id, const std::string& token, std::string bytes) {
      const auto k = static_cast<std::size_t>(id);
      if (taken[k])
        bad("id ", id, " is given to both \"", shown(spelled[k]), "\" and \"", shown(token), "\"");
      taken[k] = true;
      spelled[k] = token;
      m.bytes[k] = std::move(bytes);
    };

    std::array<bool, kNumSpecialTokens> have_special{};
    for (std::size_t i = 0; i < added.size(); ++i) {
      const json& t = added[i];
      const std::string at = "added_tokens[" + std::to_string(i) + "]";
      if (!t.is_object() || !t.contains("content") || !t["content"].is_string())
        bad(at, " is not an object with a string \"content\"");
      const std::string content = t["content"].get<std::string>();
      const auto special = std::find(kSpecialTokens.begin(), kSpecialTokens.end(), content);
      if (special == kSpecialTokens.end())
        bad(at, " \"", shown(content),
            "\" is not one of qkv's special tokens <pad> <bos> <eos> <unk>");
      const auto want = special - kSpecialTokens.begin();
      const std::int64_t id = read_id(t.value("id", json()), at + " \"" + content + "\"", total);
      if (id != want)
        bad(at, " gives ", content, " id ", id, ", but qkv's ", content, " is ", want);
      if (t.value("special", json(false)) != true)
        bad(at, " ", content, " is not marked \"special\": true");
      if (have_special[want]) bad(at, " lists ", content, " a second time");
      have_special[want] = true;
      if (!vocab.contains(content)) take(id, content, content);
    }
    for (std::size_t s = 0; s < kSpecialTokens.size(); ++s)
      if (!have_special[s])
        bad("added_tokens lacks the special token ", kSpecialTokens[s], " (id ", s,
            "); qkv's are <pad> 0, <bos> 1, <eos> 2, <unk> 3");

    for (const auto& [token, value] : vocab.items()) {
      const std::string what = "model.vocab token \"" + shown(token) + "\"";
      const std::int64_t id = read_id(value, what, total);
      const auto special = std::find(kSpecialTokens.begin(), kSpecialTokens.end(), token);
      if (special != kSpecialTokens.end()) {
        const auto want = special - kSpecialTokens.begin();
        if (id != want) bad(what, " has id ", id, ", but qkv's ", token, " is ", want);
        take(id, token, token);
        continue;
      }
      auto bytes = alphabet_to_bytes(token);
      if (!bytes) bad(what, " (id ", id, ") is not a string in GPT-2's byte alphabet");
      if (bytes->empty()) bad("model.vocab has an empty token (id ", id, ")");
      take(id, token, std::move(*bytes));
    }
    // All ids are below `total` and none is taken twice, so every id is taken.

    // Keys are distinct and the alphabet is one-to-one, so no two ids share
    // bytes: a key spelled like a special token was read as that token.
    m.id_of.reserve(m.bytes.size());
    for (std::size_t id = 0; id < m.bytes.size(); ++id)
      m.id_of.emplace(m.bytes[id], static_cast<std::int32_t>(id));
    for (int b = 0; b < 256; ++b) {
      const auto it = m.id_of.find(std::string(1, static_cast<char>(b)));
      if (it == m.id_of.end())
        bad("model.vocab lacks the byte ", hex_byte(b), " (\"",
            bytes_to_alphabet(std::string(1, static_cast<char>(b))),
            "\"); a byte-level vocabulary holds all 256");
      m.byte_id[b] = it->second;
    }
  }

  void read_merges(const json& model, detail::BpeModel& m) const {
    const auto merges_it = model.find("merges");
    if (merges_it == model.end() || !merges_it->is_array()) bad("model has no \"merges\" array");
    const json& merges = *merges_it;
    std::unordered_map<std::uint64_t, std::size_t> seen;
    m.merges.reserve(merges.size());
    for (std::size_t i = 0; i < merges.size(); ++i) {
      const json& e = merges[i];
      const std::string at = "model.merges[" + std::to_string(i) + "]";
      std::string left, right;
      if (e.is_string()) {
        const std::string s = e.get<std::string>();
        const auto space = s.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
            s.find(' ', space + 1) != std::string::npos)
          bad(at, " \"", shown(s), "\" is not two tokens separated by one space");
        left = s.substr(0, space);
        right = s.substr(space + 1);
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
        left = e[0].get<std::string>();
        right = e[1].get<std::string>();
      } else {
        bad(at, " is ", brief(e), ", neither \"left right\" nor [\"left\", \"right\"]");
      }
      const auto part = [&](const std::string& token) {
        const auto bytes = alphabet_to_bytes(token);
        const auto it = bytes ? m.id_of.find(*bytes) : m.id_of.end();
        if (it == m.id_of.end())
          bad(at, " \"", shown(left), " ", shown(right), "\": \"", shown(token),
              "\" is not a token of the vocabulary");
        if (it->second < kNumSpecialTokens)
          bad(at, " \"", shown(left), " ", shown(right), "\": \"", shown(token),
              "\" is a special token, which merges never join");
        return it->second;
      };
      const std::int32_t a = part(left), b = part(right);
      const auto result = m.id_of.find(m.bytes[a] + m.bytes[b]);
      if (result == m.id_of.end())
        bad(at, " \"", shown(left), " ", shown(right), "\" makes \"", shown(left + right),
            "\", which is not a token of the vocabulary");
      if (result->second < kNumSpecialTokens)
        bad(at, " \"", shown(left), " ", shown(right), "\" spells the special token ",
            kSpecialTokens[static_cast<std::size_t>(result->second)]);
      const auto [prior, fresh] = seen.emplace(pair_key(a, b), i);
      if (!fresh)
        bad(at, " \"", shown(left), " ", shown(right), "\" repeats model.merges[", prior->second,
            "]");
      m.merges.push_back({a, b, result->second});
    }
  }

  std::string where_;
};

}  // namespace

BpeTokenizer BpeTokenizer::from_json(std::string_view text, std::string_view source) {
  const FileParser parser(source);
  return BpeTokenizer(parser.read(parser.parse(text)));
}

BpeTokenizer BpeTokenizer::load(const std::filesystem::path& path) {
  return from_json(read_whole_file(path, "tokenizer file"), path.string());
}

}  // namespace qkv::data
