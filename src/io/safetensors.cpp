#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "core/view.h"
#include "io/atomic_file.h"

namespace qkv {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian bytes; qkv copies them as they are");

namespace {

using json = nlohmann::json;

// The reference loader refuses larger headers, so no valid file has one.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// Every dtype name the format defines. qkv holds four of them; the others are
// recognised only to say "not supported" rather than "unknown".
constexpr std::array<std::string_view, 20> kFormatDTypes = {
    "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16",     "BF16",
    "I32",  "U32", "F32", "F64",     "C64",     "I64",     "U64", "F4",  "F6_E2M3", "F6_E3M2"};

std::string_view format_name(DType t) {
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

std::optional<DType> qkv_dtype(std::string_view name) {
  for (DType t : {DType::f32, DType::f64, DType::bf16, DType::i64})
    if (format_name(t) == name) return t;
  return std::nullopt;
}

// Position in the reference writer's buffer order (smaller first).
int write_rank(DType t) {
  switch (t) {
    case DType::i64:
      return 0;
    case DType::f64:
      return 1;
    case DType::f32:
      return 2;
    case DType::bf16:
      return 3;
  }
  return 4;
}

std::string join_names() {
  std::string out;
  for (auto n : kFormatDTypes) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// Index of the first byte that breaks UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF included), or npos when the text is valid.
std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra;
    std::uint32_t cp;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      extra = 1, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      extra = 2, cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      extra = 3, cp = b & 0x07;
    } else {
      return i;
    }
    if (i + extra >= s.size()) return i;
    for (int k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t min_cp = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += extra + 1;
  }
  return std::string_view::npos;
}

// Text as shown in messages: at most `max` bytes, cut at a character boundary.
std::string shown(std::string_view name, std::size_t max = 200) {
  if (name.size() <= max) return std::string(name);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return std::string(name.substr(0, cut)) + "...";
}

// A JSON value as shown in messages: scalars and short flat arrays as JSON
// (ASCII-escaped, at most 80 bytes), anything else by its type. Dumping a
// deeply nested value would recurse once per level and overflow the stack.
std::string brief(const json& v) {
  const bool flat =
      v.is_primitive() ||
      (v.is_array() && v.size() <= 16 &&
       std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_primitive(); }));
  if (!flat) {
    std::ostringstream os;
    os << '(' << v.type_name() << " of " << v.size() << " entries)";
    return os.str();
  }
  std::string s = v.dump(-1, ' ', true);
  if (s.size() > 80) s = s.substr(0, 80) + "...";
  return s;
}

// Where the bytes come from: a file read with pread, or memory.
using ReadAt = std::function<void(std::uint64_t offset, std::span<std::byte> dst)>;
using ByteSink = std::function<void(std::span<const std::byte>)>;

struct EntryInfo {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin = 0, end = 0;
};

class HeaderParser {
 public:
  explicit HeaderParser(std::string where) : where_(std::move(where)) {}

  template <class... Parts>
  [[noreturn]] void bad(const Parts&... parts) const {
    fail(where_, ": ", parts...);
  }

  json parse(std::string_view text) {
    const std::size_t bad_byte = first_invalid_utf8(text);
    if (bad_byte != std::string_view::npos)
      bad("header is not valid UTF-8 (bad byte at header offset ", bad_byte, ")");
    if (text.empty() || text.front() != '{')
      bad("header does not start with '{' (not a safetensors file?)");
    // json libraries keep one value per key; duplicates are found while parsing.
    std::vector<std::set<std::string>> open_objects;
    std::optional<std::pair<std::string, bool>> duplicate;  // key, at top level
    auto track = [&](int, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::object_start) {
        open_objects.emplace_back();
      } else if (event == json::parse_event_t::object_end) {
        open_objects.pop_back();
      } else if (event == json::parse_event_t::key && !open_objects.empty()) {
        const auto& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second && !duplicate)
          duplicate.emplace(key, open_objects.size() == 1);
      }
      return true;
    };
    json header;
    try {
      header = json::parse(text.begin(), text.end(), track);
    } catch (const json::exception& e) {
      bad("header is not valid JSON: ", shown(e.what(), 400));
    }
    if (duplicate) {
      if (duplicate->second)
        bad("tensor name '", shown(duplicate->first), "' appears twice in the header");
      bad("key '", shown(duplicate->first), "' appears twice in one object of the header");
    }
    if (!header.is_object()) bad("header is not a JSON object");
    return header;
  }

  std::map<std::string, std::string> metadata(const json& value) const {
    std::map<std::string, std::string> out;
    if (value.is_null()) return out;
    if (!value.is_object())
      bad("__metadata__ must be an object of strings, got ", value.type_name());
    for (const auto& [key, v] : value.items()) {
      if (!v.is_string())
        bad("__metadata__ value of '", shown(key), "' must be a string, got ", brief(v));
      out.emplace(key, v.get<std::string>());
    }
    return out;
  }

  EntryInfo entry(const std::string& name, const json& info) const {
    const std::string n = shown(name);
    if (!info.is_object())
      bad("entry of tensor '", n, "' must be an object, got ", info.type_name());
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!info.contains(field)) bad("tensor '", n, "' has no \"", field, "\" field");
    EntryInfo e;
    e.name = name;

    const json& dtype = info["dtype"];
    if (!dtype.is_string()) bad("dtype of tensor '", n, "' must be a string, got ", brief(dtype));
    const auto& dname = dtype.get_ref<const std::string&>();
    const auto t = qkv_dtype(dname);
    if (!t) {
      if (std::find(kFormatDTypes.begin(), kFormatDTypes.end(), dname) != kFormatDTypes.end())
        bad("dtype ", shown(dname), " is not supported by qkv (tensor '", n,
            "'); qkv reads F32, F64, BF16 and I64");
      bad("tensor '", n, "' has unknown dtype '", shown(dname), "' (the format defines ",
          join_names(), ")");
    }
    e.dtype = *t;

    const json& shape = info["shape"];
    if (!shape.is_array()) bad("shape of tensor '", n, "' must be an array, got ", brief(shape));
    std::uint64_t count = 1;
    bool overflow = false;
    for (const json& s : shape) {
      if (s.is_number_integer() && !s.is_number_unsigned())
        bad("shape ", brief(shape), " of tensor '", n, "' has a negative size");
      if (!s.is_number_unsigned() ||
          s.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
        bad("shape ", brief(shape), " of tensor '", n,
            "' must hold non-negative integers below 2^63");
      const auto size = s.get<std::uint64_t>();
      overflow = overflow || __builtin_mul_overflow(count, size, &count);
      e.shape.push_back(static_cast<std::int64_t>(size));
    }
    std::uint64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(count, dtype_size(e.dtype), &nbytes) ||
        count > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      bad("shape ", brief(shape), " of tensor '", n, "' has too many elements to address");

    const json& offsets = info["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      bad("data_offsets of tensor '", n, "' must be two non-negative integers, got ",
          brief(offsets));
    e.begin = offsets[0].get<std::uint64_t>();
    e.end = offsets[1].get<std::uint64_t>();
    if (e.end < e.begin)
      bad("data_offsets ", brief(offsets), " of tensor '", n, "' end before they begin");
    if (e.end - e.begin != nbytes)
      bad("tensor '", n, "' of dtype ", dname, " and shape ", brief(shape), " needs ", nbytes,
          " bytes but its data_offsets ", brief(offsets), " span ", e.end - e.begin);
    return e;
  }

  // The entries, sorted by offset, must tile [0, buffer size) exactly.
  void check_layout(std::vector<EntryInfo>& entries, std::uint64_t available) const {
    std::sort(entries.begin(), entries.end(), [](const EntryInfo& a, const EntryInfo& b) {
      return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
    });
    std::uint64_t covered = 0;
    const EntryInfo* previous = nullptr;
    for (const EntryInfo& e : entries) {
      if (e.begin > covered)
        bad("bytes [", covered, ", ", e.begin,
            ") of the buffer belong to no tensor (a hole before '", shown(e.name), "')");
      if (e.begin < covered)
        bad("tensor '", shown(e.name), "' at data_offsets [", e.begin, ", ", e.end,
            "] overlaps tensor '", shown(previous->name), "', which ends at ", covered);
      covered = e.end;
      previous = &e;
    }
    if (covered > available)
      bad("file is truncated: its tensors need ", covered, " bytes after the header but only ",
          available, " are there");
    if (covered < available)
      bad(available - covered,
          " bytes at the end of the buffer belong to no tensor (tensors cover ", covered, " of ",
          available, ")");
  }

 private:
  std::string where_;
};

SafetensorsFile read_safetensors(std::uint64_t size, const ReadAt& read_at, std::string where,
                                 const ByteSink* on_buffer) {
  HeaderParser p(std::move(where));
  if (size < 8)
    p.bad("file is truncated: ", size, " bytes, too short for the 8-byte header length");
  std::array<std::byte, 8> prefix;
  read_at(0, prefix);
  std::uint64_t n = 0;
  std::memcpy(&n, prefix.data(), 8);
  if (n > size - 8)
    p.bad("header length ", n, " runs past the end of the file (", size,
          " bytes): truncated, or not a safetensors file");
  if (n > kMaxHeaderBytes) p.bad("header length ", n, " exceeds the limit of ", kMaxHeaderBytes);
  std::string text(n, '\0');
  read_at(8, std::as_writable_bytes(std::span<char>(text)));
  const json header = p.parse(text);

  SafetensorsFile out;
  std::vector<EntryInfo> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      out.metadata = p.metadata(value);
    } else {
      entries.push_back(p.entry(key, value));
    }
  }
  const std::uint64_t data_start = 8 + n;
  p.check_layout(entries, size - data_start);
  for (const EntryInfo& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    const std::span<std::byte> bytes(static_cast<std::byte*>(t.raw_data()), e.end - e.begin);
    read_at(data_start + e.begin, bytes);
    // Sorted and checked above, the entries tile the buffer: this visits it all, in order.
    if (on_buffer) (*on_buffer)(bytes);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

std::string file_label(std::string_view source) {
  return "safetensors file \"" + std::string(source) + "\"";
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void check_utf8_name(std::string_view what, std::string_view s) {
  if (first_invalid_utf8(s) != std::string_view::npos)
    fail("cannot write safetensors: ", what, " is not valid UTF-8");
}

}  // namespace

SafetensorsFile parse_safetensors(std::span<const std::byte> bytes, std::string_view source) {
  auto read_at = [&](std::uint64_t offset, std::span<std::byte> dst) {
    std::memcpy(dst.data(), bytes.data() + offset, dst.size());
  };
  return read_safetensors(bytes.size(), read_at, file_label(source), nullptr);
}

SafetensorsFile load_safetensors(const std::filesystem::path& path) {
  return load_safetensors(path, nullptr);
}

SafetensorsFile load_safetensors(const std::filesystem::path& path, const ByteSink& on_buffer) {
  const std::string where = file_label(path.string());
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("cannot open ", where, ": ", std::strerror(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) fail("cannot read ", where, ": ", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail("cannot read ", where, ": not a regular file");
  auto read_at = [&](std::uint64_t offset, std::span<std::byte> dst) {
    std::size_t done = 0;
    while (done < dst.size()) {
      const ssize_t got = ::pread(fd.get(), dst.data() + done, dst.size() - done,
                                  static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail("cannot read ", where, ": ", std::strerror(errno));
      if (got == 0) fail(where, ": file is truncated: it shrank while being read");
      done += static_cast<std::size_t>(got);
    }
  };
  return read_safetensors(static_cast<std::uint64_t>(st.st_size), read_at, where,
                          on_buffer ? &on_buffer : nullptr);
}

std::span<const std::byte> tensor_bytes(const Tensor& t) {
  check(t.is_contiguous(), "tensor_bytes needs a contiguous tensor, got shape ", t.shape(),
        " with strides ", t.strides());
  return {static_cast<const std::byte*>(t.raw_data()),
          static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype())};
}

std::vector<SafetensorsEntry> safetensors_layout(const std::map<std::string, Tensor>& tensors) {
  std::vector<SafetensorsEntry> out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    check(t.defined(), "cannot write safetensors: tensor '", name, "' is undefined");
    check(name != "__metadata__",
          "cannot write safetensors: \"__metadata__\" is reserved and cannot name a tensor");
    check_utf8_name("a tensor name", name);
    out.push_back({name, view::contiguous(t)});
  }
  // The map is ordered by name already; a stable sort keeps that within a dtype.
  std::stable_sort(out.begin(), out.end(),
                   [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
                     return write_rank(a.tensor.dtype()) < write_rank(b.tensor.dtype());
                   });
  return out;
}

void write_safetensors(const std::vector<SafetensorsEntry>& layout,
                       const std::map<std::string, std::string>& metadata,
                       const std::function<void(std::span<const std::byte>)>& sink) {
  // ordered_json keeps the reference writer's key order: metadata first, then
  // tensors in buffer order, each as dtype, shape, data_offsets.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    auto& m = header["__metadata__"] = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) {
      check_utf8_name("a metadata key", k);
      check_utf8_name("the metadata value of '" + k + "'", v);
      m[k] = v;
    }
  }
  std::uint64_t offset = 0;
  for (const auto& e : layout) {
    const std::uint64_t n = tensor_bytes(e.tensor).size();
    auto& info = header[e.name];
    info["dtype"] = format_name(e.tensor.dtype());
    info["shape"] = e.tensor.shape();
    info["data_offsets"] = {offset, offset + n};
    offset += n;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::uint64_t n = text.size();
  std::array<std::byte, 8> prefix;
  std::memcpy(prefix.data(), &n, 8);
  sink(prefix);
  sink(std::as_bytes(std::span<const char>(text)));
  for (const auto& e : layout) sink(tensor_bytes(e.tensor));
}

std::vector<std::byte> serialize_safetensors(const std::map<std::string, Tensor>& tensors,
                                             const std::map<std::string, std::string>& metadata) {
  std::vector<std::byte> out;
  write_safetensors(safetensors_layout(tensors), metadata, [&](std::span<const std::byte> b) {
    out.insert(out.end(), b.begin(), b.end());
  });
  return out;
}

void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const auto layout = safetensors_layout(tensors);
  write_file_atomically(path, [&](AtomicFileOutput& out) {
    write_safetensors(layout, metadata, [&](std::span<const std::byte> b) { out.write(b); });
  });
}

}  // namespace qkv
