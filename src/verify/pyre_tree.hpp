// The pieces of pyre (Python `re` on PCRE2) shared by its parser and
// emitter: _sre's limits and flag bits, the error, character helpers and the
// pattern tree with its width rule. Private to the verify module.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "verify/pyre.hpp"

namespace smartspec::verify::pyre {

inline constexpr std::uint64_t kMaxRepeat = 4294967295ULL;  // _sre.MAXREPEAT
inline constexpr std::uint64_t kMaxGroups = 1073741823ULL;  // _sre.MAXGROUPS
inline constexpr unsigned kLocale = 4;
inline constexpr unsigned kUnicode = 32;
inline constexpr unsigned kTemplate = 1;
inline constexpr unsigned kTypeFlags = kAscii | kLocale | kUnicode;
inline constexpr unsigned kGlobalFlags = kTemplate | 128;

inline constexpr std::size_t kNoPos = static_cast<std::size_t>(-1);

struct ReError : std::runtime_error {
  std::size_t pos;
  ReError(const std::string& msg, std::size_t p) : std::runtime_error(msg), pos(p) {}
};

// UTF-8 <-> code points (invalid bytes decode as themselves).
std::u32string decode(std::string_view s);
std::string encode(std::u32string_view s);

inline bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
inline bool is_oct(char32_t c) { return c >= '0' && c <= '7'; }
inline bool is_hex(char32_t c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool is_ascii_letter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
int hex_value(char32_t c);
// str.isidentifier(), ASCII exactly; any non-ASCII character is taken as a
// letter (Python consults XID_Start/XID_Continue).
bool is_identifier(std::u32string_view s);

// ---- the tree ------------------------------------------------------------

enum class Op {
  kLiteral,
  kAny,
  kIn,
  kAt,
  kBranch,
  kGroup,
  kRepeat,
  kGroupRef,
  kCondRef,
  kAssert,
  kAtomic
};
enum class At { kBeginning, kEnd, kBeginningString, kEndString, kBoundary, kNonBoundary };
enum class Cat { kDigit, kNotDigit, kSpace, kNotSpace, kWord, kNotWord };

struct SetItem {
  enum Kind { kLit, kRange, kCat } kind = kLit;
  char32_t lo = 0, hi = 0;
  Cat cat = Cat::kDigit;
};

struct Node;
using Seq = std::vector<Node>;

struct Node {
  Op op = Op::kLiteral;
  char32_t ch = 0;                 // kLiteral
  bool negate = false;             // kIn; kAssert: negative
  std::vector<SetItem> set;        // kIn
  At at = At::kBeginning;          // kAt
  std::vector<Seq> alts;           // kBranch; kGroup/kAtomic/kAssert/kRepeat body = alts[0];
                                   // kCondRef: yes = alts[0], no = alts[1] when present
  std::uint64_t group = 0;         // kGroup (0 = none), kGroupRef, kCondRef
  unsigned add = 0, del = 0;       // kGroup flags
  std::uint64_t min = 0, max = 0;  // kRepeat
  int mode = 0;                    // kRepeat: 0 greedy, 1 lazy, 2 possessive
  bool behind = false;             // kAssert
};

struct Width {
  std::uint64_t lo = 0, hi = 0;
};

struct State {
  unsigned flags = 0;
  std::vector<std::pair<std::u32string, std::uint64_t>> names;
  std::vector<std::optional<Width>> widths{std::nullopt};  // group 0
  std::optional<std::uint64_t> lookbehind_groups;
  std::vector<std::pair<std::uint64_t, std::size_t>> cond_refs;
  bool any_repeat = false;
  [[nodiscard]] std::uint64_t groups() const { return widths.size(); }
  [[nodiscard]] bool closed(std::uint64_t g) const { return g < groups() && widths[g].has_value(); }
};

Width width_of(const Seq& seq, const State& st);
// The (min, max) widths of a sequence, as _sre computes them (saturating).
Width width_of(const Seq& seq, const State& st);

}  // namespace smartspec::verify::pyre
