#include "smartspec/util/path_rules.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace smartspec::paths {

namespace {

// Decodes one UTF-8 code point at s[i]; advances i. -1 (and one byte) when
// the bytes are not UTF-8.
std::int32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = b0 >= 0xF0 && b0 < 0xF5 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
    ++i;
    return -1;
  }
  std::int32_t cp = b0 & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return -1;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  // Overlong forms and surrogates are not UTF-8.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return -1;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

// The code points HFS+ drops when it compares names (git's next_hfs_char).
bool hfs_ignored(std::int32_t cp) {
  return (cp >= 0x200C && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF;
}

bool invisible(std::int32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x206F) || cp == 0xFEFF;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// HFS+: the component, with the ignored code points dropped and ASCII
// case folded, is "." + name.
bool hfs_equals_dot(std::string_view comp, std::string_view name) {
  std::string folded;
  for (std::size_t i = 0; i < comp.size();) {
    std::int32_t cp = next_code_point(comp, i);
    if (cp < 0) return false;
    if (hfs_ignored(cp)) continue;
    if (cp > 127) return false;
    folded += lower(static_cast<char>(cp));
  }
  return folded.size() == name.size() + 1 && folded[0] == '.' &&
         std::string_view(folded).substr(1) == name;
}

bool only_dots_and_spaces(std::string_view s) {
  for (char c : s)
    if (c != '.' && c != ' ') return false;
  return true;
}

// NTFS: what follows a name NTFS treats as that name — nothing, trailing
// dots and spaces (dropped), or a ':' (an alternate data stream).
bool ntfs_same_after(std::string_view rest) {
  std::size_t colon = rest.find(':');
  return only_dots_and_spaces(colon == std::string_view::npos ? rest : rest.substr(0, colon));
}

// NTFS 8.3 short names of ".<name>": the first six characters of name, '~'
// and 1–4 (git's rule), or the hashed fall-back form <prefix>~<digits>,
// where git knows the hash prefix. For ".git" any "git~<digits>" counts (the
// digit depends on what else the directory held when .git was created).
bool ntfs_short_name(std::string_view comp, std::string_view name, std::string_view hashed) {
  std::size_t colon = comp.find(':');
  std::string_view base = comp.substr(0, colon);
  while (!base.empty() && (base.back() == '.' || base.back() == ' ')) base.remove_suffix(1);
  std::size_t tilde = base.find('~');
  if (tilde == std::string_view::npos || tilde + 1 >= base.size()) return false;
  std::string_view digits = base.substr(tilde + 1);
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  if (digits[0] == '0') return false;
  std::string_view stem = base.substr(0, tilde);
  std::string_view six = name.substr(0, 6);
  if (name.size() <= 6) {  // ".git": "git~N"
    return iequal(stem, six);
  }
  if (iequal(stem, six) && digits.size() == 1 && digits[0] >= '1' && digits[0] <= '4') return true;
  return !hashed.empty() && iequal(stem, hashed);
}

// Why `comp` names ".<name>" on HFS+ or NTFS without being it; "" when not.
std::string look_alike(std::string_view comp, std::string_view name, std::string_view hashed) {
  if (comp.size() == name.size() + 1 && comp[0] == '.' && iequal(comp.substr(1), name)) {
    if (comp.substr(1) == name) return {};
    return "a case-insensitive filesystem reads it as ." + std::string(name);
  }
  if (hfs_equals_dot(comp, name)) return "HFS+ ignores its invisible characters";
  if (comp.size() > name.size() && comp[0] == '.' && iequal(comp.substr(1, name.size()), name) &&
      ntfs_same_after(comp.substr(name.size() + 1))) {
    return comp.find(':') != std::string_view::npos ? "an NTFS stream of ." + std::string(name)
                                                    : "NTFS drops trailing dots and spaces";
  }
  if (ntfs_short_name(comp, name, hashed)) return "an NTFS 8.3 short name of ." + std::string(name);
  return {};
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      switch (c) {
        case '\0':
          out += "\\0";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
      }
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t start = i;
    std::int32_t cp = next_code_point(s, i);
    if (cp < 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (invisible(cp)) {
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out;
}

std::string refusal(std::string_view rel) {
  if (rel.empty()) return "empty path refused";
  if (rel.find('\0') != std::string_view::npos) return "NUL byte in path refused";
  if (rel.front() == '/') return "absolute path refused";
  if (rel.find('\\') != std::string_view::npos) return "backslash in path refused";
  for (char ch : rel) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return "control character in path refused";
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    std::string_view part =
        rel.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  // '..' anywhere first: it is the escape, whatever else the path holds.
  for (auto part : parts)
    if (part == "..") return "'..' in path refused";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    std::string_view part = parts[k];
    if (iequal(part, ".git")) return "path inside .git refused";
    if (std::string why = look_alike(part, "git", ""); !why.empty())
      return ".git look-alike refused: " + printable(part) + " (" + why + ")";
    // git's fsck reads any entry with a .gitmodules name as the submodule
    // configuration: a look-alike, or a directory of that name, fails it.
    if (std::string why = look_alike(part, "gitmodules", "gi7eba"); !why.empty())
      return ".gitmodules look-alike refused: " + printable(part) + " (" + why + ")";
    if (part == ".gitmodules" && k + 1 < parts.size())
      return ".gitmodules look-alike refused: .gitmodules (a directory git's fsck would read as "
             "the submodule configuration)";
    if (part.front() == '-') return "path component starting with '-' refused: " + printable(part);
  }
  if (parts.empty()) return "path names the worktree itself";
  return {};
}

}  // namespace smartspec::paths
