#include "metrics/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <sstream>

#include "core/error.h"

namespace qkv::metrics {

namespace {

// The 13a rules are regular expressions applied in turn, each replacing
// non-overlapping matches from left to right. Each matches one or two single
// bytes, so a scan that emits a match's replacement and skips past it does the
// same; a multi-byte UTF-8 character is never split, because every class the
// rules insert spaces around is ASCII.
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// [{-~[-` -&(-+:-@/]: ASCII punctuation and symbols (and the space), but not
// ' . , - and the digits and letters.
bool is_symbol(unsigned char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

template <class Match, class Emit>
std::string rewrite_pairs(const std::string& s, Match match, Emit emit) {
  std::string out;
  out.reserve(s.size() * 2);
  for (std::size_t i = 0; i < s.size();) {
    if (i + 1 < s.size() && match(s[i], s[i + 1])) {
      emit(out, s[i], s[i + 1]);
      i += 2;
    } else {
      out.push_back(s[i++]);
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Counts of every n-gram of orders 1..4, keyed by the words joined with '\n'.
std::map<std::string, std::int64_t> ngrams(const std::vector<std::string>& w) {
  std::map<std::string, std::int64_t> out;
  for (std::size_t n = 1; n <= 4; ++n)
    for (std::size_t i = 0; i + n <= w.size(); ++i) {
      std::string key = std::to_string(n);
      for (std::size_t j = i; j < i + n; ++j) key += '\n' + w[j];
      ++out[key];
    }
  return out;
}

std::vector<std::string> words_of(const std::string& line, const BleuOptions& o) {
  const std::string s = o.lowercase ? lowercase_utf8(line) : line;
  return split_words(o.tokenize == BleuTokenize::v13a ? tokenize_13a(s) : s);
}

void append_code_point(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::uint32_t lower_code_point(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;  // Latin-1: À..Þ but ×
  if (cp == 0x178) return 0xFF;                                // Ÿ
  // Latin Extended-A pairs capital/small as even/odd code points, with the
  // runs 0x139..0x148 and 0x179..0x17E shifted to odd/even; ı, ĸ, ŉ stand alone.
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return cp % 2 ? cp + 1 : cp;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149)
    return cp % 2 ? cp : cp + 1;
  return cp;
}

}  // namespace

std::string tokenize_13a(const std::string& line) {
  std::string s = replace_all(line, "<skipped>", "");
  s = replace_all(s, "-\n", "");
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.find('&') != std::string::npos) {
    s = replace_all(s, "&quot;", "\"");
    s = replace_all(s, "&amp;", "&");
    s = replace_all(s, "&lt;", "<");
    s = replace_all(s, "&gt;", ">");
  }
  s = " " + s + " ";
  // Symbols stand alone.
  std::string spaced;
  for (unsigned char c : s) {
    if (is_symbol(c)) {
      spaced += ' ';
      spaced += static_cast<char>(c);
      spaced += ' ';
    } else {
      spaced += static_cast<char>(c);
    }
  }
  // Period and comma split off unless preceded by a digit ...
  s = rewrite_pairs(
      spaced,
      [](unsigned char a, unsigned char b) { return !is_digit(a) && (b == '.' || b == ','); },
      [](std::string& o, char a, char b) {
        o += {a, ' ', b, ' '};
      });
  // ... and unless followed by one.
  s = rewrite_pairs(
      s, [](unsigned char a, unsigned char b) { return (a == '.' || a == ',') && !is_digit(b); },
      [](std::string& o, char a, char b) {
        o += {' ', a, ' ', b};
      });
  // A dash after a digit splits off.
  s = rewrite_pairs(
      s, [](unsigned char a, unsigned char b) { return is_digit(a) && b == '-'; },
      [](std::string& o, char a, char b) {
        o += {a, ' ', b, ' '};
      });
  const auto w = split_words(s);
  std::string out;
  for (std::size_t i = 0; i < w.size(); ++i) out += (i ? " " : "") + w[i];
  return out;
}

std::string lowercase_utf8(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size();) {
    const unsigned char c = line[i];
    if (c < 0x80) {
      out.push_back(static_cast<char>(lower_code_point(c)));
      ++i;
    } else if ((c & 0xE0) == 0xC0 && i + 1 < line.size() &&
               (static_cast<unsigned char>(line[i + 1]) & 0xC0) == 0x80) {
      const std::uint32_t cp = ((c & 0x1F) << 6) | (line[i + 1] & 0x3F);
      append_code_point(out, lower_code_point(cp));
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));  // other code points (and stray bytes) as they are
      ++i;
    }
  }
  return out;
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& references,
                      const BleuOptions& options) {
  check(!references.empty(), "corpus_bleu: no reference set given");
  for (std::size_t k = 0; k < references.size(); ++k)
    check(references[k].size() == hypotheses.size(), "corpus_bleu: reference set ", k, " has ",
          references[k].size(), " sentences, the hypotheses ", hypotheses.size());
  BleuStats stats;
  for (std::size_t i = 0; i < hypotheses.size(); ++i) {
    const auto hyp = words_of(hypotheses[i], options);
    const auto hyp_ngrams = ngrams(hyp);
    std::map<std::string, std::int64_t> max_ref;
    // The reference length closest to the hypothesis's; the shorter on a tie.
    std::int64_t closest = -1;
    for (const auto& set : references) {
      const auto ref = words_of(set[i], options);
      const auto len = static_cast<std::int64_t>(ref.size());
      const auto hyp_len = static_cast<std::int64_t>(hyp.size());
      if (closest < 0 || std::abs(len - hyp_len) < std::abs(closest - hyp_len) ||
          (std::abs(len - hyp_len) == std::abs(closest - hyp_len) && len < closest))
        closest = len;
      for (const auto& [g, n] : ngrams(ref)) max_ref[g] = std::max(max_ref[g], n);
    }
    stats.hyp_len += static_cast<std::int64_t>(hyp.size());
    stats.ref_len += closest;
    for (std::size_t n = 1; n <= 4; ++n)
      if (hyp.size() >= n) stats.totals[n - 1] += static_cast<std::int64_t>(hyp.size() - n + 1);
    for (const auto& [g, count] : hyp_ngrams) {
      const std::size_t order = static_cast<std::size_t>(g[0] - '0');
      const auto it = max_ref.find(g);
      if (it != max_ref.end()) stats.matches[order - 1] += std::min(count, it->second);
    }
  }
  return compute_bleu(stats, options);
}

BleuScore compute_bleu(const BleuStats& s, const BleuOptions& options) {
  BleuScore r;
  r.stats = s;
  if (s.hyp_len == 0) return r;  // nothing produced: BLEU 0, BP 0
  r.brevity_penalty =
      s.hyp_len < s.ref_len ? std::exp(1 - double(s.ref_len) / double(s.hyp_len)) : 1.0;
  double smooth = 1, log_sum = 0;
  bool zero = false;
  for (int n = 0; n < 4; ++n) {
    if (s.totals[n] == 0) {
      zero = true;  // sentences shorter than n words: no n-grams at all
      break;
    }
    double p;
    if (s.matches[n] > 0) {
      p = 100.0 * double(s.matches[n]) / double(s.totals[n]);
    } else if (options.smooth == BleuSmooth::exp) {
      smooth *= 2;
      p = 100.0 / (smooth * double(s.totals[n]));
    } else if (options.smooth == BleuSmooth::floor) {
      p = 100.0 * options.smooth_value / double(s.totals[n]);
    } else {
      p = 0;
    }
    r.precisions[n] = p;
    if (p == 0) zero = true;
    log_sum += p > 0 ? std::log(p) : 0;
  }
  r.score = zero ? 0.0 : r.brevity_penalty * std::exp(log_sum / 4);
  return r;
}

std::string BleuScore::to_string() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "BLEU = %.2f %.1f/%.1f/%.1f/%.1f (BP = %.3f ratio = %.3f hyp_len = %lld ref_len = "
                "%lld)",
                score, precisions[0], precisions[1], precisions[2], precisions[3], brevity_penalty,
                stats.ref_len ? double(stats.hyp_len) / double(stats.ref_len) : 0.0,
                static_cast<long long>(stats.hyp_len), static_cast<long long>(stats.ref_len));
  return buf;
}

}  // namespace qkv::metrics
