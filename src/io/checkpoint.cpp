#include "io/checkpoint.h"

#include <zlib.h>

#include <cstdio>
#include <string_view>

#include "io/atomic_file.h"

namespace qkv {

namespace {

constexpr std::string_view kCrcKey = "qkv.crc32";
constexpr std::string_view kVersionKey = "qkv.format_version";

std::uint32_t crc_update(std::uint32_t crc, std::span<const std::byte> bytes) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string hex(std::uint32_t crc) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path,
                     const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  for (auto key : {kCrcKey, kVersionKey})
    check(!metadata.contains(std::string(key)), "cannot save checkpoint ", path, ": metadata key '",
          key, "' is reserved for the checkpoint itself");
  const auto layout = safetensors_layout(tensors);
  std::uint32_t crc = crc32_z(0, Z_NULL, 0);
  for (const auto& e : layout) crc = crc_update(crc, tensor_bytes(e.tensor));
  auto full = metadata;
  full.emplace(kCrcKey, hex(crc));
  full.emplace(kVersionKey, std::to_string(kCheckpointFormatVersion));
  write_file_atomically(path, [&](AtomicFileOutput& out) {
    write_safetensors(layout, full, [&](std::span<const std::byte> b) { out.write(b); });
  });
}

SafetensorsFile load_checkpoint(const std::filesystem::path& path) {
  std::uint32_t crc = crc32_z(0, Z_NULL, 0);
  SafetensorsFile file;
  try {
    file = load_safetensors(path, [&](std::span<const std::byte> b) { crc = crc_update(crc, b); });
  } catch (const Error& e) {
    fail("cannot load checkpoint ", path, ": ", e.what());
  }
  const auto version = file.metadata.find(std::string(kVersionKey));
  const auto stored = file.metadata.find(std::string(kCrcKey));
  if (version == file.metadata.end() || stored == file.metadata.end())
    fail("checkpoint ", path, " is not a qkv checkpoint: its metadata lacks '", kVersionKey,
         "' or '", kCrcKey, "'");
  if (version->second != std::to_string(kCheckpointFormatVersion))
    fail("checkpoint ", path, " has format version '", version->second,
         "'; this build of qkv reads version ", kCheckpointFormatVersion);
  if (stored->second != hex(crc))
    fail("checkpoint ", path, " is corrupt (checksum mismatch: the header says crc32 ",
         stored->second, ", the data gives ", hex(crc), ")");
  file.metadata.erase(version);
  file.metadata.erase(stored);
  return file;
}

}  // namespace qkv
