#pragma once
// The safetensors file format (Hugging Face): an 8-byte little-endian header
// length N, N bytes of UTF-8 JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end)} plus an optional
// "__metadata__" string->string map, then the byte buffer that the offsets
// index. qkv reads and writes F32, F64, BF16 and I64 tensors; the loader
// accepts exactly what the reference loader accepts and turns every malformed
// input into a qkv::Error naming the file and the fault.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace qkv {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Loaded tensors are dense, own their storage and do not require gradients.
SafetensorsFile load_safetensors(const std::filesystem::path& path);
// The same, also handing the byte buffer to `on_buffer` piece by piece in file
// order as it is read (checkpoint.h checksums it without a second pass).
SafetensorsFile load_safetensors(const std::filesystem::path& path,
                                 const std::function<void(std::span<const std::byte>)>& on_buffer);
// Writes atomically (io/atomic_file.h). Non-contiguous tensors are written in
// row-major order; the header is padded with spaces to a multiple of 8 bytes.
void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// The same from and to memory; `source` names the bytes in error messages.
SafetensorsFile parse_safetensors(std::span<const std::byte> bytes,
                                  std::string_view source = "<memory>");
std::vector<std::byte> serialize_safetensors(
    const std::map<std::string, Tensor>& tensors,
    const std::map<std::string, std::string>& metadata = {});

// The pieces the writers above are made of, for callers that must see the
// byte buffer before the header is written (checkpoint.h checksums it).
struct SafetensorsEntry {
  std::string name;
  Tensor tensor;  // contiguous
};
// The tensors in the order their bytes are written: as the reference writer,
// by dtype (I64, F64, F32, BF16: wider first, so each tensor is aligned to its
// element size when the buffer is 8-aligned), then by name.
std::vector<SafetensorsEntry> safetensors_layout(const std::map<std::string, Tensor>& tensors);
// Writes a whole file (length, padded header, buffer) through `sink`.
void write_safetensors(const std::vector<SafetensorsEntry>& layout,
                       const std::map<std::string, std::string>& metadata,
                       const std::function<void(std::span<const std::byte>)>& sink);
// Bytes of a contiguous tensor's elements.
std::span<const std::byte> tensor_bytes(const Tensor& contiguous);

}  // namespace qkv
