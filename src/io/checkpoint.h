#pragma once
// Checkpoints: safetensors files that can tell when they are damaged. Beside the
// caller's metadata, the header holds a CRC-32 of the whole byte buffer
// ("qkv.crc32", 8 lowercase hex digits) and the checkpoint layout version
// ("qkv.format_version"). Writing is atomic, so a crash while saving leaves the
// previous checkpoint in place.

#include <filesystem>
#include <map>
#include <string>

#include "io/safetensors.h"

namespace qkv {

inline constexpr int kCheckpointFormatVersion = 1;

// Throws if metadata uses one of the "qkv." keys the checkpoint writes itself.
void save_checkpoint(const std::filesystem::path& path,
                     const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

// The tensors and the caller's metadata (the "qkv." keys removed). Throws
// qkv::Error naming the file when it is truncated, malformed, from a newer
// format version, or its bytes do not match the stored checksum.
SafetensorsFile load_checkpoint(const std::filesystem::path& path);

}  // namespace qkv
