#pragma once
// Byte-level byte-pair encoding (Sennrich et al. 2016, in the byte-level form
// of GPT-2, Radford et al. 2019). Text is a string of bytes and the 256 byte
// values are the base symbols, so every input, valid UTF-8 or not, encodes,
// and decode(encode(text)) == text exactly.
//
// Ids are fixed at the bottom of every vocabulary this class trains:
//   0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>   special tokens, never made by merges
//   4 + b                                the single byte b (0..255)
//   260, 261, ...                        one token per merge, in merge order
// <unk> exists only for models and files that expect it: byte-level input
// never needs it. Loaded files keep their own ids for bytes and merges, but
// must give the special tokens these four ids.
//
// Text is first split into words the way GPT-2 splits it (pre_tokenize), and
// merges never cross a word boundary.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::data {

namespace detail {
struct BpeModel;  // defined in bpe.cpp
}  // namespace detail

inline constexpr std::int64_t kPadId = 0;
inline constexpr std::int64_t kBosId = 1;
inline constexpr std::int64_t kEosId = 2;
inline constexpr std::int64_t kUnkId = 3;
inline constexpr std::int64_t kNumSpecialTokens = 4;
// The smallest vocabulary: the special tokens and the 256 bytes.
inline constexpr std::int64_t kBaseVocabSize = kNumSpecialTokens + 256;

// The text of special token `id` (0..3): "<pad>", "<bos>", "<eos>", "<unk>".
std::string_view special_token(std::int64_t id);

// GPT-2's split into words, written out by hand instead of as its regular
// expression  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// A word is a run of letters, a run of digits or a run of other symbols, each
// taking one space before it; an English contraction suffix; or whitespace,
// where a run followed by a word leaves its last space to that word.
// The pieces cover `text` exactly and in order.
//
// Characters are classed by a small table rather than the full Unicode
// database: ASCII exactly as the expression does; among other code points the
// Unicode spaces, the Latin-1 and general punctuation, currency and other
// symbols, CJK and full-width punctuation and the emoji planes are classed as
// GPT-2 classes them, full-width and Latin-1 digits count as digits, and
// everything else counts as a letter (so combining marks and non-Latin digits
// join letter runs). A byte that does not begin a valid UTF-8 sequence is a
// one-byte letter.
std::vector<std::string_view> pre_tokenize(std::string_view text);

// GPT-2's byte-to-unicode alphabet, which lets token files name any byte
// string in printable UTF-8: the bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF
// stand for themselves (as code points), the other 68 bytes for U+0100..U+0143
// in byte order, so the space 0x20 is written "Ġ" and '\n' is "Ċ".
std::string bytes_to_alphabet(std::string_view bytes);
// The inverse; nullopt when `token` is not valid UTF-8 or holds a code point
// outside the alphabet.
std::optional<std::string> alphabet_to_bytes(std::string_view token);

struct BpeTrainProgress {
  std::size_t vocab_size = 0;   // tokens so far
  std::size_t target = 0;       // the vocab_size asked for
  std::int64_t pair_count = 0;  // occurrences of the pair merged last
};

struct BpeTrainOptions {
  // A pair is merged only if it occurs at least this often in the corpus.
  std::int64_t min_frequency = 2;
  // Called after every `progress_every` merges and once when training ends;
  // the library prints nothing itself.
  std::function<void(const BpeTrainProgress&)> on_progress;
  std::size_t progress_every = 1000;
};

struct BpeEncodeOptions {
  bool add_bos = false;  // start with <bos>
  bool add_eos = false;  // end with <eos>
  // When true, "<pad>", "<bos>", "<eos>" and "<unk>" inside the text become
  // their special ids; when false they are ordinary bytes like any other text.
  bool special_tokens_in_text = false;
};

struct BpeDecodeOptions {
  // When false, special tokens are written as their text ("<eos>").
  bool skip_special = true;
};

// Every const member may be called from several threads at once.
class BpeTokenizer {
 public:
  struct Merge {
    std::int64_t left, right;  // the ids joined
    std::int64_t result;       // the id of the joined token
  };

  // The smallest tokenizer: special tokens and bytes, no merges.
  BpeTokenizer();
  // A tokenizer never changes once made, so copies share it (and its cache of
  // encoded words); declaring only the copies keeps a moved-from one usable.
  BpeTokenizer(const BpeTokenizer&) = default;
  BpeTokenizer& operator=(const BpeTokenizer&) = default;

  // Learns merges from a corpus, one text per line (each line is split into
  // words on its own; a line may hold newlines). Each step merges the adjacent
  // pair of tokens that occurs most often, counting every word as often as it
  // occurs; among pairs that occur equally often the one with the smaller
  // (left id, right id) wins, so the result depends only on the word counts,
  // not on line order or hashing. Stops when the vocabulary has vocab_size
  // tokens (the 4 special tokens and 256 bytes included) or no pair occurs
  // min_frequency times. Throws qkv::Error if vocab_size < 260.
  static BpeTokenizer train(const std::vector<std::string>& lines, std::size_t vocab_size,
                            const BpeTrainOptions& options = {});
  // The same over whole files, each file's bytes one text.
  static BpeTokenizer train_files(const std::vector<std::filesystem::path>& files,
                                  std::size_t vocab_size, const BpeTrainOptions& options = {});

  // The layout of Hugging Face's tokenizer.json: "version" "1.0", the special
  // tokens as "added_tokens" (with their ids, "special": true), ByteLevel
  // pre-tokenizer and decoder, and "model" {"type": "BPE", "vocab": {token:
  // id}, "merges": ["left right", ...]} with every token in the byte alphabet
  // above. The model also carries "qkv" {"format": "qkv.bpe",
  // "format_version": 1, "qkv_version"}: there rather than at the top level
  // because Hugging Face's reader passes over unknown keys inside the model,
  // while at the top level its code skips the key but not its value. Saving
  // writes atomically (io/atomic_file.h).
  void save(const std::filesystem::path& path) const;
  std::string to_json() const;
  // Reads such a file (also one written by Hugging Face's tokenizers, merges
  // as strings or as [left, right] pairs, if its special tokens have qkv's
  // ids and it applies no normalizer). Throws qkv::Error naming the file and
  // the fault: not JSON, truncated, wrong model type, an id out of range or
  // given twice, a token outside the byte alphabet, a missing byte or special
  // token, a merge whose parts or result are not in the vocabulary, ...
  static BpeTokenizer load(const std::filesystem::path& path);
  // The same from memory; `source` names the text in error messages.
  static BpeTokenizer from_json(std::string_view json, std::string_view source = "<memory>");

  std::vector<std::int64_t> encode(std::string_view text,
                                   const BpeEncodeOptions& options = {}) const;
  // encode() of each text, on the OpenMP threads.
  std::vector<std::vector<std::int64_t>> encode_batch(const std::vector<std::string>& texts,
                                                      const BpeEncodeOptions& options = {}) const;
  // The bytes of the tokens, concatenated. Throws qkv::Error naming the first
  // id outside 0..vocab_size()-1.
  std::string decode(std::span<const std::int64_t> ids, const BpeDecodeOptions& options = {}) const;

  std::size_t vocab_size() const;
  // The token as the file writes it (byte alphabet; special tokens as their
  // text). Throws qkv::Error for an id outside the vocabulary.
  std::string id_to_token(std::int64_t id) const;
  // The id of a token written that way, nullopt if there is none.
  std::optional<std::int64_t> token_to_id(std::string_view token) const;
  // The bytes token `id` decodes to (special tokens: their text).
  const std::string& token_bytes(std::int64_t id) const;
  // The merges in the order they apply.
  std::vector<Merge> merges() const;

 private:
  explicit BpeTokenizer(std::shared_ptr<const detail::BpeModel> model) : model_(std::move(model)) {}
  std::shared_ptr<const detail::BpeModel> model_;
};

}  // namespace qkv::data
