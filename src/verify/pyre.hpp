// Python `re` patterns on PCRE2. The Python verifier runs
// re.search(pattern, text, flags=re.MULTILINE) and treats re.error as "not
// matched"; this parses the pattern with the rules of Python 3.11's
// re._parser (same accepted syntax, same errors) and emits an equivalent
// PCRE2 pattern in which every Python semantic is spelled out: `$`, `^`,
// `\Z`, `\s`, ASCII/Unicode classes, scoped flags, `{,n}`, literal `{`,
// sets with `[` in them, lookbehind widths. Private to the verify module.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smartspec::verify::pyre {

// Python's re flag bits (re.IGNORECASE ...), for the flags argument.
inline constexpr unsigned kIgnoreCase = 2;
inline constexpr unsigned kMultiline = 8;
inline constexpr unsigned kDotAll = 16;
inline constexpr unsigned kVerbose = 64;
inline constexpr unsigned kAscii = 256;

struct Translation {
  std::optional<std::string> pcre;  // the PCRE2 pattern (ASCII), when Python compiles it
  std::string error;                // else re.error's text: "<msg> at position <n>"
};

// Translates a Python str pattern (UTF-8) compiled with `flags`.
Translation translate(std::string_view pattern, unsigned flags);

// A compiled pattern. search() is re.search(...) is not None; text must be
// valid UTF-8. A PCRE2 resource limit hit while matching counts as no match
// (Python would still be running).
class Regex {
 public:
  // nullopt with *error set when Python's re would raise re.error.
  static std::shared_ptr<Regex> compile(std::string_view pattern, unsigned flags,
                                        std::string* error);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  [[nodiscard]] bool search(std::string_view text) const;

 private:
  Regex() = default;
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
};

}  // namespace smartspec::verify::pyre
