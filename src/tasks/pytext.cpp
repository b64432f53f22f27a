#include "tasks/pytext.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

namespace smartspec::tasks::py {

namespace {

// Decodes the code point at s[pos] when it is a well-formed 1–3 byte UTF-8
// sequence (every non-ASCII Python whitespace character is 2 or 3 bytes).
// Returns its length in `len`, or 0 for anything else.
std::uint32_t decode(std::string_view s, std::size_t pos, std::size_t& len) {
  len = 0;
  if (pos >= s.size()) return 0;
  auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  if ((b0 & 0xE0) == 0xC0 && pos + 1 < s.size()) {
    auto b1 = static_cast<unsigned char>(s[pos + 1]);
    if ((b1 & 0xC0) != 0x80) return 0;
    len = 2;
    return ((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu);
  }
  if ((b0 & 0xF0) == 0xE0 && pos + 2 < s.size()) {
    auto b1 = static_cast<unsigned char>(s[pos + 1]);
    auto b2 = static_cast<unsigned char>(s[pos + 2]);
    if ((b1 & 0xC0) != 0x80 || (b2 & 0xC0) != 0x80) return 0;
    len = 3;
    return ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
  }
  return 0;
}

bool is_space(std::uint32_t c) {
  if (c >= 0x09 && c <= 0x0D) return true;
  if (c >= 0x1C && c <= 0x20) return true;
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_line_break(std::uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E) ||
         c == 0x85 || c == 0x2028 || c == 0x2029;
}

}  // namespace

std::size_t space_at(std::string_view s, std::size_t pos) {
  std::size_t len = 0;
  std::uint32_t c = decode(s, pos, len);
  return (len != 0 && is_space(c)) ? len : 0;
}

std::size_t space_before(std::string_view s, std::size_t end) {
  // Whitespace characters are 1–3 bytes: try each start.
  for (std::size_t n = 1; n <= 3 && n <= end; ++n) {
    std::size_t len = space_at(s, end - n);
    if (len == n) return n;
  }
  return 0;
}

std::string_view lstrip(std::string_view s) {
  std::size_t pos = 0;
  while (std::size_t n = space_at(s, pos)) pos += n;
  return s.substr(pos);
}

std::string_view rstrip(std::string_view s) {
  std::size_t end = s.size();
  while (std::size_t n = space_before(s, end)) end -= n;
  return s.substr(0, end);
}

std::string_view strip(std::string_view s) { return rstrip(lstrip(s)); }

std::vector<std::string_view> splitlines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t len = 0;
    std::uint32_t c = decode(s, pos, len);
    if (len == 0) {  // not a character we care about (4-byte or malformed): skip a byte
      ++pos;
      continue;
    }
    if (!is_line_break(c)) {
      pos += len;
      continue;
    }
    lines.push_back(s.substr(start, pos - start));
    pos += len;
    if (c == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    start = pos;
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace smartspec::tasks::py
