#pragma once
// qkv::Error is the one exception type for misuse and bad input. Messages name
// the offending value and what was expected, so the CLI can print them as is.

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace qkv {

// Shapes and other vectors print as [a, b, c] in messages.
template <class T>
std::ostream& operator<<(std::ostream& os, const std::vector<T>& v) {
  os << '[';
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return os << ']';
}

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error with the streamed parts as its message.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(os.str());
}

template <class... Parts>
void check(bool ok, const Parts&... parts) {
  if (!ok) fail(parts...);
}

}  // namespace qkv
