#include "io/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/creation.h"
#include "io/io_testing.h"

namespace qkv {
namespace {

using testing::error_of;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

std::map<std::string, Tensor> weights(double value) {
  return {{"layer.weight", full({3, 4}, value)},
          {"layer.bias", full({4}, -value, DType::f64)},
          {"step", scalar_tensor(7, DType::i64)}};
}

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) bit by bit, as the oracle.
std::uint32_t crc32_bitwise(std::span<const std::byte> bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::byte b : bytes) {
    crc ^= static_cast<std::uint32_t>(b);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::uint64_t header_length(const std::vector<std::byte>& file) {
  std::uint64_t n;
  std::memcpy(&n, file.data(), 8);
  return n;
}

TEST(Checkpoint, RoundTripsTensorsAndMetadata) {
  TempDir dir;
  const auto path = dir / "last.safetensors";
  save_checkpoint(path, weights(0.5), {{"epoch", "3"}});
  const SafetensorsFile back = load_checkpoint(path);
  EXPECT_EQ(back.metadata, (std::map<std::string, std::string>{{"epoch", "3"}}));
  ASSERT_EQ(back.tensors.size(), 3u);
  EXPECT_EQ(back.tensors.at("layer.weight").to_vector<float>(), std::vector<float>(12, 0.5f));
  EXPECT_EQ(back.tensors.at("layer.bias").to_vector<double>(), std::vector<double>(4, -0.5));
  EXPECT_EQ(back.tensors.at("step").item<std::int64_t>(), 7);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"last.safetensors"});
}

TEST(Checkpoint, StoresStandardCrc32OfTheBuffer) {
  TempDir dir;
  const auto path = dir / "c.safetensors";
  save_checkpoint(path, weights(1.25));
  const auto file = read_bytes(path);
  const auto buffer = std::span(file).subspan(8 + header_length(file));
  char want[9];
  std::snprintf(want, sizeof want, "%08x", crc32_bitwise(buffer));
  const auto meta = load_safetensors(path).metadata;
  EXPECT_EQ(meta.at("qkv.crc32"), want);
  EXPECT_EQ(meta.at("qkv.format_version"), std::to_string(kCheckpointFormatVersion));
}

TEST(Checkpoint, FlippedByteIsDetected) {
  TempDir dir;
  const auto path = dir / "c.safetensors";
  save_checkpoint(path, weights(0.5));
  auto file = read_bytes(path);
  file[file.size() - 3] ^= std::byte{0x10};
  write_bytes(path, file);
  // Still a well-formed safetensors file: only the checksum can tell.
  EXPECT_NO_THROW(load_safetensors(path));
  EXPECT_HAS(error_of([&] { load_checkpoint(path); }),
             "checkpoint \"" + path.string() + "\" is corrupt (checksum mismatch");
}

TEST(Checkpoint, TruncatedFileIsDetected) {
  TempDir dir;
  const auto path = dir / "c.safetensors";
  save_checkpoint(path, weights(0.5));
  const auto whole = read_bytes(path);
  // Cut inside the buffer, inside the header, and inside the length prefix.
  for (std::size_t keep : {whole.size() - 1, whole.size() - 40, std::size_t{20}, std::size_t{6}}) {
    SCOPED_TRACE(keep);
    write_bytes(path, std::vector<std::byte>(whole.begin(), whole.begin() + keep));
    const std::string msg = error_of([&] { load_checkpoint(path); });
    EXPECT_HAS(msg, "cannot load checkpoint \"" + path.string() + "\"");
    EXPECT_HAS(msg, "truncated");
  }
}

TEST(Checkpoint, PreviousCheckpointSurvivesAFailedSave) {
  TempDir dir;
  const auto path = dir / "last.safetensors";
  save_checkpoint(path, weights(0.5), {{"epoch", "1"}});
  // Invalid UTF-8 in the metadata makes the writer throw after the temporary file exists.
  EXPECT_HAS(error_of([&] {
               save_checkpoint(path, weights(9), {{"epoch", "\xfe"}});
             }),
             "not valid UTF-8");
  const SafetensorsFile back = load_checkpoint(path);
  EXPECT_EQ(back.metadata.at("epoch"), "1");
  EXPECT_EQ(back.tensors.at("layer.weight").to_vector<float>(), std::vector<float>(12, 0.5f));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"last.safetensors"});
}

TEST(Checkpoint, CorruptCopyDoesNotAffectTheOther) {
  TempDir dir;
  save_checkpoint(dir / "best.safetensors", weights(0.25));
  save_checkpoint(dir / "last.safetensors", weights(0.75));
  auto last = read_bytes(dir / "last.safetensors");
  last[last.size() - 1] ^= std::byte{1};
  write_bytes(dir / "last.safetensors", last);
  EXPECT_HAS(error_of([&] { load_checkpoint(dir / "last.safetensors"); }), "checksum mismatch");
  EXPECT_EQ(load_checkpoint(dir / "best.safetensors").tensors.at("layer.weight").to_vector<float>(),
            std::vector<float>(12, 0.25f));
}

TEST(Checkpoint, ReservedMetadataKeysAreRejected) {
  TempDir dir;
  EXPECT_HAS(error_of([&] {
               save_checkpoint(dir / "c", weights(1), {{"qkv.crc32", "0"}});
             }),
             "metadata key 'qkv.crc32' is reserved");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Checkpoint, PlainSafetensorsIsNotACheckpoint) {
  TempDir dir;
  save_safetensors(dir / "plain.safetensors", weights(1));
  EXPECT_HAS(error_of([&] { load_checkpoint(dir / "plain.safetensors"); }),
             "is not a qkv checkpoint");
}

TEST(Checkpoint, NewerFormatVersionIsRejected) {
  TempDir dir;
  save_safetensors(dir / "v2.safetensors", weights(1),
                   {{"qkv.format_version", "2"}, {"qkv.crc32", "00000000"}});
  EXPECT_HAS(error_of([&] { load_checkpoint(dir / "v2.safetensors"); }),
             "has format version '2'; this build of qkv reads version 1");
}

}  // namespace
}  // namespace qkv
