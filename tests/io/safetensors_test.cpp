#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "core/creation.h"
#include "core/view.h"
#include "io/io_testing.h"

namespace qkv {
namespace {

using testing::error_of;
using testing::TempDir;

std::string_view format_dtype(DType t) {
  switch (t) {
    case DType::f32:
      return "F32";
    case DType::f64:
      return "F64";
    case DType::bf16:
      return "BF16";
    case DType::i64:
      return "I64";
  }
  return "?";
}

void append(std::vector<std::byte>& out, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::byte*>(data);
  out.insert(out.end(), p, p + n);
}

// A file made by hand: the length prefix (the header's size unless `declared`
// is given), the header text verbatim, then `buffer_bytes` zero bytes.
std::vector<std::byte> craft(std::string_view header, std::size_t buffer_bytes = 0,
                             std::optional<std::uint64_t> declared = std::nullopt) {
  std::vector<std::byte> out;
  const std::uint64_t n = declared.value_or(header.size());
  append(out, &n, 8);
  append(out, header.data(), header.size());
  out.resize(out.size() + buffer_bytes);
  return out;
}

std::string parse_error(const std::vector<std::byte>& bytes) {
  const std::string msg = error_of([&] { parse_safetensors(bytes, "crafted.safetensors"); });
  EXPECT_NE(msg.find("safetensors file \"crafted.safetensors\""), std::string::npos)
      << "message does not name the file: " << msg;
  return msg;
}

// Same dtype, shape and bytes in row-major order.
void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.shape(), want.shape());
  const Tensor dense_got = view::contiguous(got), dense_want = view::contiguous(want);
  const auto a = tensor_bytes(dense_got), b = tensor_bytes(dense_want);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()));
}

std::map<std::string, Tensor> sample_tensors() {
  Generator gen(11);
  const Tensor base = randn({3, 4}, DType::f32, gen);
  const Tensor bf = view::to_dtype(randn({4, 2}, DType::f32, gen), DType::bf16);
  constexpr auto lo = std::numeric_limits<std::int64_t>::min();
  constexpr auto hi = std::numeric_limits<std::int64_t>::max();
  return {
      {"f32", randn({2, 3}, DType::f32, gen)},
      {"f64", randn({5}, DType::f64, gen)},
      {"bf16", bf},
      {"i64", from_vector(std::vector<std::int64_t>{lo, -1, 0, 7, hi}, {5})},
      {"scalar", scalar_tensor(-3.25)},
      {"scalar_i64", scalar_tensor(12, DType::i64)},
      {"empty", zeros({0, 3})},
      {"empty_i64", zeros({2, 0}, DType::i64)},
      // Non-contiguous views: transposed, narrowed (offset and gaps), broadcast (stride 0).
      {"transposed", view::transpose(base, 0, 1)},
      {"narrowed", view::narrow(base, 1, 1, 2)},
      {"expanded", view::expand(from_vector(std::vector<float>{1, 2, 3}, {3}), {2, 3})},
      {"f64_transposed", view::transpose(randn({2, 3}, DType::f64, gen), 0, 1)},
      {"bf16_transposed", view::transpose(bf, 0, 1)},
      {"layers.0.ä/ü 日本", ones({2}, DType::f64)},
  };
}

const std::map<std::string, std::string> kMetadata = {{"format", "pt"}, {"note", "é 日本"}};

TEST(Safetensors, LoadsFileWrittenByTorch) {
  const std::string dir = std::string(QKV_TEST_DATA_DIR) + "/golden/safetensors/";
  const SafetensorsFile file = load_safetensors(dir + "torch_written.safetensors");
  std::ifstream sidecar(dir + "torch_written.json");
  const auto expected = nlohmann::json::parse(sidecar);

  EXPECT_EQ(file.metadata, (expected["metadata"].get<std::map<std::string, std::string>>()));
  ASSERT_EQ(file.tensors.size(), expected["tensors"].size());
  for (const auto& [name, want] : expected["tensors"].items()) {
    SCOPED_TRACE(name);
    const auto it = file.tensors.find(name);
    ASSERT_NE(it, file.tensors.end());
    const Tensor& t = it->second;
    EXPECT_EQ(format_dtype(t.dtype()), want["dtype"].get<std::string>());
    EXPECT_EQ(t.shape(), want["shape"].get<Shape>());
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_FALSE(t.requires_grad());
    if (t.dtype() == DType::i64) {
      EXPECT_EQ(t.to_vector<std::int64_t>(), want["values"].get<std::vector<std::int64_t>>());
    } else {
      EXPECT_EQ(t.to_vector<double>(), want["values"].get<std::vector<double>>());
    }
  }
  // A few values spelled out, so the test does not rest on the sidecar alone.
  EXPECT_EQ(file.tensors.at("scale").shape(), Shape{});
  EXPECT_EQ(file.tensors.at("scale").item<float>(), 42.5f);
  EXPECT_EQ(file.tensors.at("empty").shape(), (Shape{0, 3}));
  EXPECT_EQ(file.tensors.at("token_ids").to_vector<std::int64_t>(),
            (std::vector<std::int64_t>{0, -1, std::int64_t{1} << 62,
                                       std::numeric_limits<std::int64_t>::min()}));
  EXPECT_EQ(file.tensors.at("embed.bf16").to_vector<double>(),
            (std::vector<double>{1.0, -2.5, 3.140625, 0.0078125}));
  EXPECT_EQ(file.tensors.at("decoder.weight_t").to_vector<float>(),
            (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(file.tensors.at("encoder.ä").to_vector<float>(), (std::vector<float>{1.5f, -0.25f}));
  EXPECT_EQ(file.tensors.at("decoder.bias").dtype(), DType::f64);
  EXPECT_EQ(file.metadata.at("note"), "é ü 日本");
}

TEST(Safetensors, WriterMatchesReferenceBytes) {
  // The reference implementation's own serialisation tests fix these bytes: a
  // compact header with keys in the order dtype, shape, data_offsets, padded
  // with spaces to a multiple of 8, and "__metadata__" first.
  const Tensor t = from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {1, 2, 3});
  const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(header.size(), 64u);
  std::vector<std::byte> want = craft(header);
  append(want, t.raw_data(), 24);
  EXPECT_EQ(serialize_safetensors({{"attn.0", t}}), want);

  EXPECT_EQ(serialize_safetensors({}), craft("{}      "));
  EXPECT_EQ(serialize_safetensors({}, {{"framework", "pt"}}),
            craft(R"({"__metadata__":{"framework":"pt"}}     )"));
}

TEST(Safetensors, RoundTripsThroughFile) {
  TempDir dir;
  const auto tensors = sample_tensors();
  save_safetensors(dir / "model.safetensors", tensors, kMetadata);
  const SafetensorsFile back = load_safetensors(dir / "model.safetensors");
  EXPECT_EQ(back.metadata, kMetadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(back.tensors.contains(name));
    const Tensor& got = back.tensors.at(name);
    expect_same(got, t);
    EXPECT_TRUE(got.is_contiguous());
    EXPECT_NE(got.storage(), t.storage());
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
}

TEST(Safetensors, RoundTripsThroughMemory) {
  const auto tensors = sample_tensors();
  const auto bytes = serialize_safetensors(tensors, kMetadata);
  const SafetensorsFile back = parse_safetensors(bytes);
  EXPECT_EQ(back.metadata, kMetadata);
  ASSERT_EQ(back.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    SCOPED_TRACE(name);
    expect_same(back.tensors.at(name), t);
  }
}

TEST(Safetensors, SavedFileIsLoadedTheSameFromMemory) {
  TempDir dir;
  save_safetensors(dir / "a.safetensors", sample_tensors(), kMetadata);
  EXPECT_EQ(testing::read_bytes(dir / "a.safetensors"),
            serialize_safetensors(sample_tensors(), kMetadata));
}

TEST(Safetensors, HeaderIsPaddedAndTensorsAligned) {
  // Names of every length modulo 8 move the header's end through all residues.
  for (int len = 1; len <= 16; ++len) {
    SCOPED_TRACE(len);
    const std::string name(static_cast<std::size_t>(len), 'w');
    const auto bytes = serialize_safetensors({{name, ones({3}, DType::f32)},
                                              {"b", ones({1}, DType::bf16)},
                                              {"d", ones({2}, DType::f64)},
                                              {"i", ones({1}, DType::i64)}});
    std::uint64_t n;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ(n % 8, 0u);
    const std::string text(reinterpret_cast<const char*>(bytes.data()) + 8, n);
    const auto end = text.rfind('}');
    EXPECT_EQ(text.find_first_not_of(' ', end + 1), std::string::npos);
    EXPECT_LT(n - end - 1, 8u);
    const auto header = nlohmann::json::parse(text);
    // Wider elements first (I64, F64, F32, BF16), so every tensor is aligned.
    std::uint64_t previous = 0;
    for (const char* key : {"i", "d", name.c_str(), "b"}) {
      const auto begin = header[key]["data_offsets"][0].get<std::uint64_t>();
      EXPECT_GE(begin, previous) << key;
      previous = begin;
      const std::uint64_t size = header[key]["dtype"] == "BF16"  ? 2
                                 : header[key]["dtype"] == "F32" ? 4
                                                                 : 8;
      EXPECT_EQ((8 + n + begin) % size, 0u) << key;
    }
  }
}

TEST(Safetensors, AcceptsAnyTensorOrderAndExtraWhitespace) {
  // Offsets in a different order from the keys, whitespace inside and after the JSON.
  const std::string header =
      "{ \"b\" : {\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]},\n"
      "  \"a\" : {\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]} }   ";
  const auto file = parse_safetensors(craft(header, 12));
  EXPECT_EQ(file.tensors.at("a").shape(), Shape{2});
  EXPECT_EQ(file.tensors.at("b").item<std::int64_t>(), 0);
  EXPECT_TRUE(file.metadata.empty());
}

TEST(Safetensors, WriterRejectsBadNames) {
  EXPECT_HAS(error_of([] { serialize_safetensors({{"__metadata__", ones({1})}}); }), "reserved");
  EXPECT_HAS(error_of([] {
               serialize_safetensors({{"bad\xff", ones({1})}});
             }),
             "tensor name is not valid UTF-8");
  EXPECT_HAS(error_of([] { serialize_safetensors({{"x", Tensor()}}); }), "'x' is undefined");
  EXPECT_HAS(error_of([] {
               serialize_safetensors({}, {{"k", "\xc3"}});
             }),
             "metadata value of 'k' is not valid UTF-8");
}

TEST(Safetensors, LoadErrorsNameThePath) {
  TempDir dir;
  EXPECT_HAS(error_of([&] { load_safetensors(dir / "missing.safetensors"); }),
             "cannot open safetensors file \"" + (dir / "missing.safetensors").string() + "\"");
  EXPECT_HAS(error_of([&] { load_safetensors(dir.path()); }), "not a regular file");
  testing::write_bytes(dir / "bad.safetensors", craft("[]"));
  EXPECT_HAS(error_of([&] { load_safetensors(dir / "bad.safetensors"); }),
             "safetensors file \"" + (dir / "bad.safetensors").string() + "\": header does not");
}

// Malformed files: each must give a qkv::Error naming the file and the fault.

const std::string kA = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

TEST(SafetensorsMalformed, RandomDamageGivesErrorsNotCrashes) {
  // Flipped bytes anywhere and cuts at any length: each parse either succeeds
  // or throws qkv::Error (anything else, or a crash, fails the test).
  const auto golden = testing::read_bytes(std::string(QKV_TEST_DATA_DIR) +
                                          "/golden/safetensors/torch_written.safetensors");
  ASSERT_GT(golden.size(), 100u);
  std::mt19937 rng(5);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto bytes = golden;
    if (trial % 3 == 0) {
      bytes.resize(rng() % bytes.size());
    } else {
      for (int k = 0; k <= trial % 4; ++k)
        bytes[rng() % bytes.size()] = static_cast<std::byte>(rng() & 0xFF);
    }
    try {
      parse_safetensors(bytes);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
}

TEST(SafetensorsMalformed, ShorterThanLengthPrefix) {
  const std::vector<std::byte> five(5);
  EXPECT_HAS(parse_error(five), "truncated: 5 bytes, too short for the 8-byte header length");
  EXPECT_HAS(parse_error({}), "truncated: 0 bytes");
}

TEST(SafetensorsMalformed, HeaderLengthPastEndOfFile) {
  EXPECT_HAS(parse_error(craft("{" + kA + "}", 8, 1000)), "header length 1000 runs past the end");
  // A length near 2^64 must be refused before anything is allocated.
  EXPECT_HAS(parse_error(craft("{}", 0, std::numeric_limits<std::uint64_t>::max())),
             "runs past the end of the file (10 bytes)");
}

TEST(SafetensorsMalformed, HeaderNotJson) {
  EXPECT_HAS(parse_error(craft(R"({"a": )")), "header is not valid JSON");
  EXPECT_HAS(parse_error(craft("{" + kA + "} x", 8)), "header is not valid JSON");
}

TEST(SafetensorsMalformed, HeaderNotAnObject) {
  EXPECT_HAS(parse_error(craft("[1, 2]")), "header does not start with '{'");
  EXPECT_HAS(parse_error(craft(" {}")), "header does not start with '{'");
  EXPECT_HAS(parse_error(craft("")), "header does not start with '{'");
}

TEST(SafetensorsMalformed, HeaderNotUtf8) {
  EXPECT_HAS(
      parse_error(craft("{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")),
      "header is not valid UTF-8 (bad byte at header offset 3)");
  // An overlong encoding of '/' and a lone surrogate are not UTF-8 either.
  EXPECT_HAS(parse_error(craft("{\"\xc0\xaf\":1}")), "not valid UTF-8");
  EXPECT_HAS(parse_error(craft("{\"\xed\xa0\x80\":1}")), "not valid UTF-8");
}

TEST(SafetensorsMalformed, UnknownDtype) {
  EXPECT_HAS(parse_error(craft(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", 16)),
             "tensor 'w' has unknown dtype 'F128'");
  EXPECT_HAS(parse_error(craft(R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", 4)),
             "dtype of tensor 'w' must be a string");
}

TEST(SafetensorsMalformed, KnownButUnsupportedDtype) {
  EXPECT_HAS(parse_error(craft(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4)),
             "dtype F16 is not supported by qkv (tensor 'h')");
  EXPECT_HAS(parse_error(craft(R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", 2)),
             "dtype BOOL is not supported by qkv (tensor 'm')");
}

TEST(SafetensorsMalformed, NegativeOrNonIntegerShape) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}})")),
             "shape [2,-1] of tensor 'a' has a negative size");
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}})")),
             "must hold non-negative integers");
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,0]}})")),
             "shape of tensor 'a' must be an array");
}

TEST(SafetensorsMalformed, ShapeTooLarge) {
  EXPECT_HAS(parse_error(craft(
                 R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})")),
             "has too many elements");
}

TEST(SafetensorsMalformed, ByteSizeDiffersFromShapeTimesDtype) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", 20)),
             "tensor 'a' of dtype F32 and shape [2,3] needs 24 bytes but its data_offsets [0,20] "
             "span 20");
}

TEST(SafetensorsMalformed, OverlappingOffsets) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                               12)),
             "tensor 'b' at data_offsets [4, 12] overlaps tensor 'a', which ends at 8");
}

TEST(SafetensorsMalformed, HoleInBuffer) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                               12)),
             "bytes [4, 8) of the buffer belong to no tensor (a hole before 'b')");
  EXPECT_HAS(parse_error(craft(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)),
             "bytes [0, 4) of the buffer belong to no tensor");
}

TEST(SafetensorsMalformed, BufferLongerThanCovered) {
  EXPECT_HAS(parse_error(craft("{" + kA + "}", 12)),
             "4 bytes at the end of the buffer belong to no tensor");
  EXPECT_HAS(parse_error(craft("{}", 1)), "1 bytes at the end of the buffer belong to no tensor");
}

TEST(SafetensorsMalformed, OffsetsPastEndOfFile) {
  EXPECT_HAS(parse_error(craft("{" + kA + "}", 5)),
             "truncated: its tensors need 8 bytes after the header but only 5 are there");
}

TEST(SafetensorsMalformed, DuplicateNames) {
  EXPECT_HAS(parse_error(craft("{" + kA + "," + kA + "}", 8)),
             "tensor name 'a' appears twice in the header");
  EXPECT_HAS(parse_error(craft(
                 R"({"a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}})", 8)),
             "key 'dtype' appears twice");
}

TEST(SafetensorsMalformed, EndBeforeBegin) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8)),
             "data_offsets [8,4] of tensor 'a' end before they begin");
}

TEST(SafetensorsMalformed, OffsetsNotTwoNonNegativeIntegers) {
  for (const char* offsets : {"[0]", "[0,4,8]", "[-4,0]", "[\"0\",4]", "{}"}) {
    SCOPED_TRACE(offsets);
    EXPECT_HAS(
        parse_error(craft(
            std::string(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":)") + offsets + "}}", 4)),
        "data_offsets of tensor 'a' must be two non-negative integers");
  }
}

TEST(SafetensorsMalformed, MissingFields) {
  EXPECT_HAS(parse_error(craft(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4)),
             "tensor 'a' has no \"dtype\" field");
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 4)),
             "tensor 'a' has no \"shape\" field");
  EXPECT_HAS(parse_error(craft(R"({"a":{"dtype":"F32","shape":[1]}})", 4)),
             "tensor 'a' has no \"data_offsets\" field");
  EXPECT_HAS(parse_error(craft(R"({"a":[1]})")), "entry of tensor 'a' must be an object");
}

TEST(SafetensorsMalformed, DeepOrHugeValuesGiveShortMessages) {
  // A million nested arrays where a shape or a metadata value belongs: the
  // message must not try to print them (that would recurse a million deep).
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  EXPECT_HAS(
      parse_error(craft(R"({"a":{"dtype":"F32","data_offsets":[0,0],"shape":)" + deep + "}}")),
      "shape (array of 1 entries) of tensor 'a' must hold non-negative integers");
  EXPECT_HAS(parse_error(craft(R"({"__metadata__":{"k":)" + deep + "}}")),
             "__metadata__ value of 'k' must be a string, got (array of 1 entries)");
  // A huge name is cut in messages.
  const std::string name(100000, 'n');
  const std::string msg =
      parse_error(craft("{\"" + name + R"(":{"dtype":"F16","shape":[0],"data_offsets":[0,0]}})"));
  EXPECT_HAS(msg, "nnn...')");
  EXPECT_LT(msg.size(), 1000u);
}

TEST(SafetensorsMalformed, MetadataNotStringToString) {
  EXPECT_HAS(parse_error(craft(R"({"__metadata__":{"k":1}})")),
             "__metadata__ value of 'k' must be a string, got 1");
  EXPECT_HAS(parse_error(craft(R"({"__metadata__":["k"]})")),
             "__metadata__ must be an object of strings, got array");
  EXPECT_HAS(parse_error(craft(R"({"__metadata__":{"k":{"nested":"x"}}})")), "must be a string");
}

}  // namespace
}  // namespace qkv
