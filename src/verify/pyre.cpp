// Python 3.11 `re` syntax on PCRE2: a port of re._parser's grammar and
// checks (the parts a str pattern reaches), building a small tree that is
// then written out as PCRE2 syntax with Python's semantics made explicit.
// Only whether a match exists matters to the verifier, so the emitted
// pattern need only accept the same texts.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "verify/pyre.hpp"

#include <pcre2.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace smartspec::verify::pyre {

namespace {

constexpr std::uint64_t kMaxRepeat = 4294967295ULL;  // _sre.MAXREPEAT
constexpr std::uint64_t kMaxGroups = 1073741823ULL;  // _sre.MAXGROUPS
constexpr unsigned kLocale = 4;
constexpr unsigned kUnicode = 32;
constexpr unsigned kTemplate = 1;
constexpr unsigned kTypeFlags = kAscii | kLocale | kUnicode;
constexpr unsigned kGlobalFlags = kTemplate | 128;

constexpr std::size_t kNoPos = static_cast<std::size_t>(-1);

struct ReError : std::runtime_error {
  std::size_t pos;
  ReError(const std::string& msg, std::size_t p) : std::runtime_error(msg), pos(p) {}
};

// ---- UTF-8 ---------------------------------------------------------------

std::u32string decode(std::string_view s) {
  std::u32string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    char32_t c = n == 4 ? (b & 0x07) : n == 3 ? (b & 0x0F) : n == 2 ? (b & 0x1F) : b;
    if (n > 1 && i + n <= s.size()) {
      for (std::size_t k = 1; k < n; ++k)
        c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    } else {
      n = 1;
      c = b;
    }
    out += c;
    i += n;
  }
  return out;
}

std::string encode(std::u32string_view s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_oct(char32_t c) { return c >= '0' && c <= '7'; }
bool is_hex(char32_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ascii_letter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
int hex_value(char32_t c) {
  if (is_digit(c)) return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  return static_cast<int>(c - 'A' + 10);
}

// str.isidentifier(), ASCII exactly; any non-ASCII character is taken as a
// letter (Python consults XID_Start/XID_Continue).
bool is_identifier(std::u32string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    bool ok = c >= 0x80 || is_ascii_letter(c) || c == '_' || (i > 0 && is_digit(c));
    if (!ok) return false;
  }
  return true;
}

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

Width width_node(const Node& n, const State& st) {
  auto sat = [](std::uint64_t v) { return std::min<std::uint64_t>(v, kMaxRepeat); };
  switch (n.op) {
    case Op::kBranch: {
      Width w{kMaxRepeat - 1, 0};
      for (const Seq& a : n.alts) {
        Width x = width_of(a, st);
        w.lo = std::min(w.lo, x.lo);
        w.hi = std::max(w.hi, x.hi);
      }
      return w;
    }
    case Op::kGroup:
    case Op::kAtomic:
      return width_of(n.alts[0], st);
    case Op::kRepeat: {
      Width x = width_of(n.alts[0], st);
      // Python multiplies unbounded ints and caps at the end.
      auto mul = [&](std::uint64_t a, std::uint64_t b) {
        if (a == 0 || b == 0) return std::uint64_t{0};
        if (a > kMaxRepeat / b) return kMaxRepeat;
        return sat(a * b);
      };
      return {mul(x.lo, n.min), mul(x.hi, n.max)};
    }
    case Op::kLiteral:
    case Op::kAny:
    case Op::kIn:
      return {1, 1};
    case Op::kGroupRef:
      return st.widths[n.group].value_or(Width{});
    case Op::kCondRef: {
      Width y = width_of(n.alts[0], st);
      if (n.alts.size() > 1) {
        Width no = width_of(n.alts[1], st);
        y.lo = std::min(y.lo, no.lo);
        y.hi = std::max(y.hi, no.hi);
      } else {
        y.lo = 0;
      }
      return y;
    }
    default:
      return {0, 0};
  }
}

Width width_of(const Seq& seq, const State& st) {
  Width w;
  for (const Node& n : seq) {
    Width x = width_node(n, st);
    w.lo = std::min<std::uint64_t>(w.lo + x.lo, kMaxRepeat);
    w.hi = std::min<std::uint64_t>(w.hi + x.hi, kMaxRepeat);
  }
  w.lo = std::min<std::uint64_t>(w.lo, kMaxRepeat - 1);
  return w;
}

// ---- the tokenizer (re._parser.Tokenizer) --------------------------------

struct Tok {
  bool end = true;
  bool esc = false;  // "\\" + c
  char32_t c = 0;
  [[nodiscard]] bool is(char32_t x) const { return !end && !esc && c == x; }
  [[nodiscard]] std::u32string text() const {
    if (end) return {};
    return esc ? std::u32string{U'\\', c} : std::u32string{c};
  }
};

class Source {
 public:
  explicit Source(std::u32string s) : s_(std::move(s)) { advance(); }
  Tok next;
  Tok get() {
    Tok t = next;
    advance();
    return t;
  }
  bool match(char32_t c) {
    if (next.is(c)) {
      advance();
      return true;
    }
    return false;
  }
  [[nodiscard]] std::size_t tell() const { return index_ - (next.end ? 0 : (next.esc ? 2 : 1)); }
  void seek(std::size_t i) {
    index_ = i;
    advance();
  }
  [[noreturn]] void error(const std::string& msg, std::size_t offset = 0) const {
    throw ReError(msg, tell() - offset);
  }
  std::u32string getwhile(int n, bool (*pred)(char32_t)) {
    std::u32string out;
    for (int i = 0; i < n; ++i) {
      if (next.end || next.esc || !pred(next.c)) break;
      out += next.c;
      advance();
    }
    return out;
  }
  std::u32string getuntil(char32_t term, const std::string& name) {
    std::u32string out;
    for (;;) {
      Tok c = next;
      advance();
      if (c.end) {
        if (out.empty()) error("missing " + name);
        error("missing " + encode(std::u32string(1, term)) + ", unterminated name", out.size());
      }
      if (c.is(term)) {
        if (out.empty()) error("missing " + name, 1);
        break;
      }
      out += c.text();
    }
    return out;
  }
  void checkgroupname(const std::u32string& name, std::size_t offset) const {
    if (!is_identifier(name)) {
      error("bad character in group name '" + encode(name) + "'", name.size() + offset);
    }
  }
  [[nodiscard]] std::size_t size() const { return s_.size(); }

 private:
  void advance() {
    if (index_ >= s_.size()) {
      next = Tok{};
      return;
    }
    if (s_[index_] == U'\\') {
      if (index_ + 1 >= s_.size()) throw ReError("bad escape (end of pattern)", s_.size() - 1);
      next = Tok{false, true, s_[index_ + 1]};
      index_ += 2;
    } else {
      next = Tok{false, false, s_[index_]};
      index_ += 1;
    }
  }
  std::u32string s_;
  std::size_t index_ = 0;
};

std::string octal_text(std::u32string_view esc) { return encode(esc); }

// ---- the parser (re._parser) ---------------------------------------------

class Parser {
 public:
  Parser(std::u32string pattern, unsigned flags) : src_(std::move(pattern)) { st_.flags = flags; }

  Seq parse() {
    Seq p = parse_sub(st_.flags & kVerbose, 0);
    if (!src_.next.end) src_.error("unbalanced parenthesis");
    for (const auto& [g, pos] : st_.cond_refs) {
      if (g >= st_.groups()) throw ReError("invalid group reference " + std::to_string(g), pos);
    }
    if ((st_.flags & kTemplate) != 0 && st_.any_repeat) {
      throw ReError("internal: unsupported template operator MAX_REPEAT", kNoPos);
    }
    check_lookbehinds(p);
    return p;
  }
  [[nodiscard]] const State& state() const { return st_; }

 private:
  // _compiler: a lookbehind must have a fixed width.
  void check_lookbehinds(const Seq& seq) {
    for (const Node& n : seq) {
      if (n.op == Op::kAssert && n.behind) {
        Width w = width_of(n.alts[0], st_);
        if (w.lo != w.hi) throw ReError("look-behind requires fixed-width pattern", kNoPos);
      }
      for (const Seq& a : n.alts) check_lookbehinds(a);
    }
  }

  static bool in_class_category(Tok t, SetItem& item) {
    if (!t.esc) return false;
    item.kind = SetItem::kCat;
    switch (t.c) {
      case 'd':
        item.cat = Cat::kDigit;
        return true;
      case 'D':
        item.cat = Cat::kNotDigit;
        return true;
      case 's':
        item.cat = Cat::kSpace;
        return true;
      case 'S':
        item.cat = Cat::kNotSpace;
        return true;
      case 'w':
        item.cat = Cat::kWord;
        return true;
      case 'W':
        item.cat = Cat::kNotWord;
        return true;
      default:
        return false;
    }
  }

  static bool simple_escape(char32_t c, char32_t& out) {
    switch (c) {
      case 'a':
        out = 7;
        return true;
      case 'b':
        out = 8;
        return true;
      case 'f':
        out = 12;
        return true;
      case 'n':
        out = 10;
        return true;
      case 'r':
        out = 13;
        return true;
      case 't':
        out = 9;
        return true;
      case 'v':
        out = 11;
        return true;
      case '\\':
        out = '\\';
        return true;
      default:
        return false;
    }
  }

  // \x \u \U \N: true and the code point when `t` is one of them.
  bool numeric_escape(Tok t, std::u32string& escape, char32_t& out) {
    if (t.c == 'x' || t.c == 'u' || t.c == 'U') {
      int n = t.c == 'x' ? 2 : (t.c == 'u' ? 4 : 8);
      escape += src_.getwhile(n, is_hex);
      if (static_cast<int>(escape.size()) != n + 2) {
        src_.error("incomplete escape " + encode(escape), escape.size());
      }
      std::uint64_t v = 0;
      for (std::size_t i = 2; i < escape.size(); ++i)
        v = v * 16 + static_cast<unsigned>(hex_value(escape[i]));
      if (v > 0x10FFFF) src_.error("bad escape " + encode(escape), escape.size());
      out = static_cast<char32_t>(v);
      return true;
    }
    if (t.c == 'N') {
      // Needs the Unicode character name database, which is not here.
      if (!src_.match('{')) src_.error("missing {");
      std::u32string name = src_.getuntil('}', "character name");
      src_.error("undefined character name '" + encode(name) + "'", name.size() + 4);
    }
    return false;
  }

  SetItem class_escape(Tok t) {
    SetItem item;
    char32_t c = 0;
    if (simple_escape(t.c, c)) {
      item.lo = item.hi = c;
      return item;
    }
    if (in_class_category(t, item)) return item;
    item.kind = SetItem::kLit;
    std::u32string escape = t.text();
    if (numeric_escape(t, escape, c)) {
      item.lo = item.hi = c;
      return item;
    }
    if (is_oct(t.c)) {
      escape += src_.getwhile(2, is_oct);
      unsigned v = 0;
      for (std::size_t i = 1; i < escape.size(); ++i) v = v * 8 + (escape[i] - '0');
      if (v > 0377) {
        src_.error("octal escape value " + octal_text(escape) + " outside of range 0-0o377",
                   escape.size());
      }
      item.lo = item.hi = v;
      return item;
    }
    if (is_digit(t.c) || is_ascii_letter(t.c)) {
      src_.error("bad escape " + encode(escape), escape.size());
    }
    item.lo = item.hi = t.c;
    return item;
  }

  Node escape(Tok t) {
    Node n;
    n.op = Op::kAt;
    switch (t.c) {
      case 'A':
        n.at = At::kBeginningString;
        return n;
      case 'Z':
        n.at = At::kEndString;
        return n;
      case 'b':
        n.at = At::kBoundary;
        return n;
      case 'B':
        n.at = At::kNonBoundary;
        return n;
      default:
        break;
    }
    SetItem cat;
    if (in_class_category(t, cat)) {
      n.op = Op::kIn;
      n.set.push_back(cat);
      return n;
    }
    n.op = Op::kLiteral;
    char32_t c = 0;
    if (t.c != 'b' && simple_escape(t.c, c)) {
      n.ch = c;
      return n;
    }
    std::u32string escape = t.text();
    if (numeric_escape(t, escape, c)) {
      n.ch = c;
      return n;
    }
    if (t.c == '0') {
      escape += src_.getwhile(2, is_oct);
      unsigned v = 0;
      for (std::size_t i = 1; i < escape.size(); ++i) v = v * 8 + (escape[i] - '0');
      n.ch = v;
      return n;
    }
    if (is_digit(t.c)) {
      if (!src_.next.end && !src_.next.esc && is_digit(src_.next.c)) {
        escape += src_.get().c;
        if (is_oct(escape[1]) && is_oct(escape[2]) && !src_.next.end && !src_.next.esc &&
            is_oct(src_.next.c)) {
          escape += src_.get().c;
          unsigned v = 0;
          for (std::size_t i = 1; i < escape.size(); ++i) v = v * 8 + (escape[i] - '0');
          if (v > 0377) {
            src_.error("octal escape value " + octal_text(escape) + " outside of range 0-0o377",
                       escape.size());
          }
          n.ch = v;
          return n;
        }
      }
      std::uint64_t group = 0;
      for (std::size_t i = 1; i < escape.size(); ++i) group = group * 10 + (escape[i] - '0');
      if (group < st_.groups()) {
        if (!st_.closed(group)) src_.error("cannot refer to an open group", escape.size());
        check_lookbehind_group(group);
        n.op = Op::kGroupRef;
        n.group = group;
        return n;
      }
      src_.error("invalid group reference " + std::to_string(group), escape.size() - 1);
    }
    if (is_ascii_letter(t.c)) src_.error("bad escape " + encode(escape), escape.size());
    n.ch = t.c;
    return n;
  }

  void check_lookbehind_group(std::uint64_t gid) {
    if (st_.lookbehind_groups) {
      if (!st_.closed(gid)) src_.error("cannot refer to an open group");
      if (gid >= *st_.lookbehind_groups) {
        src_.error("cannot refer to group defined in the same lookbehind subpattern");
      }
    }
  }

  Seq parse_sub(unsigned verbose, int nested) {
    std::vector<Seq> items;
    for (;;) {
      items.push_back(parse(verbose, nested + 1, nested == 0 && items.empty()));
      if (!src_.match('|')) break;
      if (nested == 0) verbose = st_.flags & kVerbose;
    }
    if (items.size() == 1) return std::move(items[0]);
    Node b;
    b.op = Op::kBranch;
    b.alts = std::move(items);
    return Seq{std::move(b)};
  }

  static bool flag_of(char32_t c, unsigned& f) {
    switch (c) {
      case 'i':
        f = kIgnoreCase;
        return true;
      case 'L':
        f = kLocale;
        return true;
      case 'm':
        f = kMultiline;
        return true;
      case 's':
        f = kDotAll;
        return true;
      case 'x':
        f = kVerbose;
        return true;
      case 'a':
        f = kAscii;
        return true;
      case 't':
        f = kTemplate;
        return true;
      case 'u':
        f = kUnicode;
        return true;
      default:
        return false;
    }
  }
  static bool is_alpha(char32_t c) { return c >= 0x80 || is_ascii_letter(c); }

  // _parse_flags: false for global flags "(?i)".
  bool parse_flags(Tok ch, unsigned& add, unsigned& del) {
    add = del = 0;
    unsigned f = 0;
    Tok c = ch;
    if (!c.is('-')) {
      for (;;) {
        flag_of(c.c, f);
        if (c.c == 'L') src_.error("bad inline flags: cannot use 'L' flag with a str pattern");
        add |= f;
        if ((f & kTypeFlags) != 0 && (add & kTypeFlags) != f) {
          src_.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        }
        c = src_.get();
        if (c.end) src_.error("missing -, : or )");
        if (c.is(')') || c.is('-') || c.is(':')) break;
        if (c.esc || !flag_of(c.c, f)) {
          src_.error(!c.esc && is_alpha(c.c) ? "unknown flag" : "missing -, : or )",
                     c.text().size());
        }
      }
    }
    if (c.is(')')) {
      st_.flags |= add;
      return false;
    }
    if ((add & kGlobalFlags) != 0) src_.error("bad inline flags: cannot turn on global flag", 1);
    if (c.is('-')) {
      c = src_.get();
      if (c.end) src_.error("missing flag");
      if (c.esc || !flag_of(c.c, f)) {
        src_.error(!c.esc && is_alpha(c.c) ? "unknown flag" : "missing flag", c.text().size());
      }
      for (;;) {
        flag_of(c.c, f);
        if ((f & kTypeFlags) != 0) {
          src_.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
        }
        del |= f;
        c = src_.get();
        if (c.end) src_.error("missing :");
        if (c.is(':')) break;
        if (c.esc || !flag_of(c.c, f)) {
          src_.error(!c.esc && is_alpha(c.c) ? "unknown flag" : "missing :", c.text().size());
        }
      }
    }
    if ((del & kGlobalFlags) != 0) src_.error("bad inline flags: cannot turn off global flag", 1);
    if ((add & del) != 0) src_.error("bad inline flags: flag turned on and off", 1);
    return true;
  }

  static bool is_ws(char32_t c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == 0x0C;
  }

  void parse_set(Seq& out) {
    std::size_t here = src_.tell() - 1;
    Node n;
    n.op = Op::kIn;
    n.negate = src_.match('^');
    for (;;) {
      Tok t = src_.get();
      if (t.end) src_.error("unterminated character set", src_.tell() - here);
      if (t.is(']') && !n.set.empty()) break;
      SetItem c1;
      if (t.esc) {
        c1 = class_escape(t);
      } else {
        c1.lo = c1.hi = t.c;
      }
      if (src_.match('-')) {
        Tok that = src_.get();
        if (that.end) src_.error("unterminated character set", src_.tell() - here);
        if (that.is(']')) {
          n.set.push_back(c1);
          SetItem dash;
          dash.lo = dash.hi = '-';
          n.set.push_back(dash);
          break;
        }
        SetItem c2;
        if (that.esc) {
          c2 = class_escape(that);
        } else {
          c2.lo = c2.hi = that.c;
        }
        std::string msg = "bad character range " + encode(t.text()) + "-" + encode(that.text());
        std::size_t off = t.text().size() + 1 + that.text().size();
        if (c1.kind != SetItem::kLit || c2.kind != SetItem::kLit) src_.error(msg, off);
        if (c2.lo < c1.lo) src_.error(msg, off);
        SetItem r;
        r.kind = SetItem::kRange;
        r.lo = c1.lo;
        r.hi = c2.lo;
        n.set.push_back(r);
      } else {
        n.set.push_back(c1);
      }
    }
    out.push_back(std::move(n));
  }

  static bool is_repeat_code(const Node& n) { return n.op == Op::kRepeat; }

  void parse_repeat(Tok t, Seq& sp) {
    std::size_t here = src_.tell();
    std::uint64_t mn = 0, mx = kMaxRepeat;
    if (t.is('?')) {
      mx = 1;
    } else if (t.is('+')) {
      mn = 1;
    } else if (t.is('{')) {
      if (src_.next.is('}')) {
        Node lit;
        lit.ch = '{';
        sp.push_back(lit);
        return;
      }
      std::u32string lo, hi;
      while (!src_.next.end && !src_.next.esc && is_digit(src_.next.c)) lo += src_.get().c;
      if (src_.match(',')) {
        while (!src_.next.end && !src_.next.esc && is_digit(src_.next.c)) hi += src_.get().c;
      } else {
        hi = lo;
      }
      if (!src_.match('}')) {
        Node lit;
        lit.ch = '{';
        sp.push_back(lit);
        src_.seek(here);
        return;
      }
      auto number = [&](const std::u32string& d) {
        std::uint64_t v = 0;
        for (char32_t c : d) {
          v = v * 10 + (c - '0');
          if (v >= kMaxRepeat) throw ReError("the repetition number is too large", here);
        }
        return v;
      };
      if (!lo.empty()) mn = number(lo);
      if (!hi.empty()) {
        mx = number(hi);
        if (mx < mn) src_.error("min repeat greater than max repeat", src_.tell() - here);
      }
    }
    std::size_t len = t.text().size();
    if (sp.empty() || sp.back().op == Op::kAt) {
      src_.error("nothing to repeat", src_.tell() - here + len);
    }
    if (is_repeat_code(sp.back())) src_.error("multiple repeat", src_.tell() - here + len);
    Node r;
    r.op = Op::kRepeat;
    r.min = mn;
    r.max = mx;
    r.alts.push_back(Seq{std::move(sp.back())});
    if (src_.match('?')) {
      r.mode = 1;
    } else if (src_.match('+')) {
      r.mode = 2;
    }
    st_.any_repeat = true;
    sp.back() = std::move(r);
  }

  Seq parse(unsigned verbose, int nested, bool first) {
    Seq sp;
    for (;;) {
      Tok t = src_.next;
      if (t.end) break;
      if (t.is('|') || t.is(')')) break;
      src_.get();
      if (verbose != 0 && !t.esc) {
        if (is_ws(t.c)) continue;
        if (t.c == '#') {
          for (;;) {
            Tok c = src_.get();
            if (c.end || c.is('\n')) break;
          }
          continue;
        }
      }
      if (t.esc) {
        sp.push_back(escape(t));
        continue;
      }
      switch (t.c) {
        case '[':
          parse_set(sp);
          break;
        case '*':
        case '+':
        case '?':
        case '{':
          parse_repeat(t, sp);
          break;
        case '.': {
          Node n;
          n.op = Op::kAny;
          sp.push_back(n);
          break;
        }
        case '^':
        case '$': {
          Node n;
          n.op = Op::kAt;
          n.at = t.c == '^' ? At::kBeginning : At::kEnd;
          sp.push_back(n);
          break;
        }
        case '(':
          if (!parse_group(sp, verbose, nested, first)) verbose = st_.flags & kVerbose;
          break;
        default: {
          Node n;
          n.ch = t.c;
          sp.push_back(n);
        }
      }
    }
    return sp;
  }

  // Returns false when it read global flags (verbose may have changed).
  bool parse_group(Seq& sp, unsigned verbose, int nested, bool first) {
    std::size_t start = src_.tell() - 1;
    bool capture = true, atomic = false;
    std::optional<std::u32string> name;
    unsigned add = 0, del = 0;
    if (src_.match('?')) {
      Tok ch = src_.get();
      if (ch.end) src_.error("unexpected end of pattern");
      if (ch.is('P')) {
        if (src_.match('<')) {
          name = src_.getuntil('>', "group name");
          src_.checkgroupname(*name, 1);
        } else if (src_.match('=')) {
          std::u32string nm = src_.getuntil(')', "group name");
          src_.checkgroupname(nm, 1);
          auto it = std::find_if(st_.names.begin(), st_.names.end(),
                                 [&](const auto& p) { return p.first == nm; });
          if (it == st_.names.end()) {
            src_.error("unknown group name '" + encode(nm) + "'", nm.size() + 1);
          }
          if (!st_.closed(it->second)) src_.error("cannot refer to an open group", nm.size() + 1);
          check_lookbehind_group(it->second);
          Node n;
          n.op = Op::kGroupRef;
          n.group = it->second;
          sp.push_back(n);
          return true;
        } else {
          Tok c = src_.get();
          if (c.end) src_.error("unexpected end of pattern");
          src_.error("unknown extension ?P" + encode(c.text()), c.text().size() + 2);
        }
      } else if (ch.is(':')) {
        capture = false;
      } else if (ch.is('#')) {
        for (;;) {
          if (src_.next.end) src_.error("missing ), unterminated comment", src_.tell() - start);
          if (src_.get().is(')')) break;
        }
        return true;
      } else if (ch.is('=') || ch.is('!') || ch.is('<')) {
        bool behind = false;
        Tok kind = ch;
        std::optional<std::uint64_t> saved = st_.lookbehind_groups;
        if (ch.is('<')) {
          kind = src_.get();
          if (kind.end) src_.error("unexpected end of pattern");
          if (!kind.is('=') && !kind.is('!')) {
            src_.error("unknown extension ?<" + encode(kind.text()), kind.text().size() + 2);
          }
          behind = true;
          if (!saved) st_.lookbehind_groups = st_.groups();
        }
        Seq p = parse_sub(verbose, nested + 1);
        if (behind && !saved) st_.lookbehind_groups = std::nullopt;
        if (!src_.match(')')) src_.error("missing ), unterminated subpattern", src_.tell() - start);
        Node n;
        n.op = Op::kAssert;
        n.behind = behind;
        n.negate = kind.is('!');
        n.alts.push_back(std::move(p));
        sp.push_back(std::move(n));
        return true;
      } else if (ch.is('(')) {
        std::u32string cond = src_.getuntil(')', "group name");
        std::uint64_t gid = 0;
        if (is_identifier(cond)) {
          src_.checkgroupname(cond, 1);
          auto it = std::find_if(st_.names.begin(), st_.names.end(),
                                 [&](const auto& p) { return p.first == cond; });
          if (it == st_.names.end()) {
            src_.error("unknown group name '" + encode(cond) + "'", cond.size() + 1);
          }
          gid = it->second;
        } else {
          // int(condname): surrounding whitespace, a '+', '_' between digits.
          std::size_t a = 0, b = cond.size();
          while (a < b && is_ws(cond[a])) ++a;
          while (b > a && is_ws(cond[b - 1])) --b;
          if (a < b && cond[a] == '+') ++a;
          bool ok = a < b && is_digit(cond[a]) && is_digit(cond[b - 1]);
          for (std::size_t i = a; ok && i < b; ++i) {
            if (is_digit(cond[i])) {
              gid = std::min<std::uint64_t>(gid * 10 + (cond[i] - '0'), kMaxGroups);
            } else if (!(cond[i] == '_' && is_digit(cond[i + 1]))) {
              ok = false;
            }
          }
          if (!ok)
            src_.error("bad character in group name '" + encode(cond) + "'", cond.size() + 1);
          if (gid == 0) src_.error("bad group number", cond.size() + 1);
          if (gid >= kMaxGroups) {
            src_.error("invalid group reference " + std::to_string(gid), cond.size() + 1);
          }
          if (std::none_of(st_.cond_refs.begin(), st_.cond_refs.end(),
                           [&](const auto& p) { return p.first == gid; })) {
            st_.cond_refs.emplace_back(gid, src_.tell() - cond.size() - 1);
          }
        }
        check_lookbehind_group(gid);
        Node n;
        n.op = Op::kCondRef;
        n.group = gid;
        n.alts.push_back(parse(verbose, nested + 1, false));
        if (src_.match('|')) {
          n.alts.push_back(parse(verbose, nested + 1, false));
          if (src_.next.is('|')) src_.error("conditional backref with more than two branches");
        }
        if (!src_.match(')')) src_.error("missing ), unterminated subpattern", src_.tell() - start);
        sp.push_back(std::move(n));
        return true;
      } else if (ch.is('>')) {
        capture = false;
        atomic = true;
      } else if (unsigned f = 0; !ch.esc && (flag_of(ch.c, f) || ch.c == '-')) {
        if (!parse_flags(ch, add, del)) {
          if (!first || !sp.empty()) {
            src_.error("global flags not at the start of the expression", src_.tell() - start);
          }
          return false;
        }
        capture = false;
      } else {
        src_.error("unknown extension ?" + encode(ch.text()), ch.text().size() + 1);
      }
    }
    std::uint64_t group = 0;
    if (capture) {
      group = st_.groups();
      st_.widths.emplace_back(std::nullopt);
      if (st_.groups() > kMaxGroups) src_.error("too many groups");
      if (name) {
        auto it = std::find_if(st_.names.begin(), st_.names.end(),
                               [&](const auto& p) { return p.first == *name; });
        if (it != st_.names.end()) {
          src_.error("redefinition of group name '" + encode(*name) + "' as group " +
                         std::to_string(group) + "; was group " + std::to_string(it->second),
                     name->size() + 1);
        }
        st_.names.emplace_back(*name, group);
      }
    }
    unsigned sub_verbose =
        ((verbose != 0 || (add & kVerbose) != 0) && (del & kVerbose) == 0) ? kVerbose : 0;
    Seq p = parse_sub(sub_verbose, nested + 1);
    if (!src_.match(')')) src_.error("missing ), unterminated subpattern", src_.tell() - start);
    if (group != 0) st_.widths[group] = width_of(p, st_);
    Node n;
    n.op = atomic ? Op::kAtomic : Op::kGroup;
    n.group = group;
    n.add = add;
    n.del = del;
    n.alts.push_back(std::move(p));
    sp.push_back(std::move(n));
    return true;
  }

  Source src_;
  State st_;
};

// ---- PCRE2 output --------------------------------------------------------

bool is_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

std::string hex(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(c));
  return buf;
}

std::string plain(char32_t c) {
  if (c < 0x80 && (is_ascii_letter(c) || is_digit(c))) return std::string(1, static_cast<char>(c));
  return hex(c);
}

// Python's str.isspace() set, for `\s` in a str pattern.
constexpr std::string_view kUniSpace =
    "\\x{9}-\\x{D}\\x{1C}-\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";
constexpr std::string_view kAsciiSpace = "\\x{9}-\\x{D}\\x{20}";
constexpr std::string_view kAsciiWord = "A-Za-z0-9_";

int captures(const Seq& seq) {
  int n = 0;
  for (const Node& x : seq) {
    if (x.op == Op::kGroup && x.group != 0) ++n;
    for (const Seq& a : x.alts) n += captures(a);
  }
  return n;
}
bool has_capture(const Seq& seq) { return captures(seq) != 0; }

class Emitter {
 public:
  explicit Emitter(const State& st) : st_(st) {}
  std::string seq(const Seq& s, unsigned fl) {
    std::string out;
    for (const Node& n : s) out += node(n, fl);
    return out;
  }

 private:
  // Bracket content of a category's positive set, and whether it is negated.
  static std::string category(Cat c, bool ascii, bool& negative) {
    negative = c == Cat::kNotDigit || c == Cat::kNotSpace || c == Cat::kNotWord;
    switch (c) {
      case Cat::kDigit:
      case Cat::kNotDigit:
        return ascii ? "0-9" : "\\d";
      case Cat::kSpace:
      case Cat::kNotSpace:
        return std::string(ascii ? kAsciiSpace : kUniSpace);
      default:
        return ascii ? std::string(kAsciiWord) : "\\w";
    }
  }

  static void add_range(std::string& p, char32_t lo, char32_t hi) {
    // Surrogates cannot occur in the text and PCRE2 refuses them in UTF mode.
    if (lo <= 0xD7FF || hi >= 0xE000) {
      if (lo < 0xD800 && hi > 0xDFFF) {
        add_range(p, lo, 0xD7FF);
        add_range(p, 0xE000, hi);
        return;
      }
      if (is_surrogate(lo)) lo = 0xE000;
      if (is_surrogate(hi)) hi = 0xD7FF;
      if (lo > hi) return;
      p += plain(lo);
      if (hi != lo) p += "-" + plain(hi);
    }
  }

  std::string set(const Node& n, unsigned fl) {
    bool ascii = (fl & kAscii) != 0;
    bool icase = (fl & kIgnoreCase) != 0;
    std::string pos;
    std::vector<std::string> negs;
    for (const SetItem& it : n.set) {
      if (it.kind == SetItem::kCat) {
        bool neg = false;
        std::string c = category(it.cat, ascii, neg);
        if (neg) {
          negs.push_back(c);
        } else {
          pos += c;
        }
        continue;
      }
      add_range(pos, it.lo, it.hi);
      if (icase && ascii) {  // ASCII-only case folding, spelled out
        auto fold = [&](char32_t a, char32_t z, int delta) {
          char32_t lo = std::max(it.lo, a), hi = std::min(it.hi, z);
          if (lo <= hi) add_range(pos, lo + delta, hi + delta);
        };
        fold('a', 'z', 'A' - 'a');
        fold('A', 'Z', 'a' - 'A');
      }
    }
    std::string out;
    if (!n.negate) {
      std::vector<std::string> parts;
      if (!pos.empty()) parts.push_back("[" + pos + "]");
      for (const auto& ng : negs) parts.push_back("[^" + ng + "]");
      if (parts.empty()) {
        out = "(*FAIL)";
      } else if (parts.size() == 1) {
        out = parts[0];
      } else {
        out = "(?:";
        for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "|" : "") + parts[i];
        out += ")";
      }
    } else if (negs.empty()) {
      out = pos.empty() ? "(?s:.)" : "[^" + pos + "]";
    } else {
      if (!pos.empty()) out += "(?![" + pos + "])";
      for (std::size_t i = 0; i + 1 < negs.size(); ++i) out += "(?=[" + negs[i] + "])";
      out += "[" + negs.back() + "]";
      out = "(?:" + out + ")";
    }
    if (icase && !ascii) return "(?i:" + out + ")";
    return out;
  }

  std::string literal(char32_t c, unsigned fl) {
    if (is_surrogate(c)) return "(*FAIL)";
    bool icase = (fl & kIgnoreCase) != 0;
    if (!icase) return plain(c);
    if ((fl & kAscii) != 0) {
      if (c >= 'a' && c <= 'z') return "[" + plain(c) + plain(c - 'a' + 'A') + "]";
      if (c >= 'A' && c <= 'Z') return "[" + plain(c) + plain(c - 'A' + 'a') + "]";
      return plain(c);
    }
    return "(?i:" + plain(c) + ")";
  }

  static std::string ascii_boundary(bool boundary) {
    const std::string w = "[A-Za-z0-9_]";
    if (boundary) {
      return "(?:(?<=" + w + ")(?!" + w + ")|(?<!" + w + ")(?=" + w + "))";
    }
    return "(?:(?<=" + w + ")(?=" + w + ")|(?<!" + w + ")(?!" + w + "))";
  }

  // One quantifier on `atom` (a group), splitting counts PCRE2 cannot hold.
  static std::string exact(const std::string& atom, std::uint64_t n) {
    constexpr std::uint64_t kMax = 65535;
    if (n == 0) return "";
    if (n == 1) return atom;
    if (n <= kMax) return atom + "{" + std::to_string(n) + "}";
    std::string block = "(?:" + atom + "{" + std::to_string(kMax) + "})";
    return exact(block, n / kMax) + exact(atom, n % kMax);
  }
  static std::string upto(const std::string& atom, std::uint64_t k, const char* lazy) {
    constexpr std::uint64_t kMax = 65535;
    if (k == 0) return "";
    if (k <= kMax) return atom + "{0," + std::to_string(k) + "}" + lazy;
    std::string block = "(?:" + atom + "{0," + std::to_string(kMax) + "}" + lazy + ")";
    return upto(block, k / kMax, lazy) + upto(atom, k % kMax, lazy);
  }

  std::string repeat(const Node& n, unsigned fl) {
    // A zero-width body (assertions, anchors) matches as often as once; zero
    // times always succeeds. PCRE2 would call a quantified assertion inside a
    // lookbehind "not fixed length", Python computes its width as 0.
    // {0}: never tried. Its groups keep their numbers (and stay unset) in a
    // DEFINE block, which also has no length inside a lookbehind.
    if (n.max == 0) {
      int k = captures(n.alts[0]);
      if (k == 0) return "";
      std::string out = "(?(DEFINE)";
      for (int i = 0; i < k; ++i) out += "()";
      return out + ")";
    }
    if (width_of(n.alts[0], st_).hi == 0) {
      if (n.min == 0 && !has_capture(n.alts[0])) return "";
      if (n.min >= 1) return "(?:" + seq(n.alts[0], fl) + ")";
    }
    // PCRE2 copies a group once per repetition (its compiled patterns are
    // limited to 64 KiB); a single character or set is repeated in place.
    std::string body = seq(n.alts[0], fl);
    std::string prefix, suffix;
    std::string atom;
    if (n.alts[0].size() == 1 && (n.alts[0][0].op == Op::kLiteral || n.alts[0][0].op == Op::kIn ||
                                  n.alts[0][0].op == Op::kAny)) {
      if (body.rfind("(?i:", 0) == 0 && body.size() > 5 && body[4] != '(') {
        prefix = "(?i:";
        suffix = ")";
        body = body.substr(4, body.size() - 5);
      }
      if (!body.empty() && body[0] != '(') atom = body;
    }
    if (atom.empty()) {
      atom = "(?:" + body + ")";
      prefix.clear();
      suffix.clear();
    }
    const char* lazy = n.mode == 1 ? "?" : "";
    std::string out;
    if (n.max == kMaxRepeat) {
      if (n.min <= 65535) {
        out = atom + "{" + std::to_string(n.min) + ",}" + lazy;
      } else {
        out = exact(atom, n.min) + atom + "*" + lazy;
      }
    } else if (n.max <= 65535) {
      out = atom + "{" + std::to_string(n.min) + "," + std::to_string(n.max) + "}" + lazy;
    } else {
      out = exact(atom, n.min) + upto(atom, n.max - n.min, lazy);
      if (out.empty()) out = "(?:)";
    }
    out = prefix + out + suffix;
    if (n.mode == 2) return "(?>" + out + ")";
    return "(?:" + out + ")";
  }

  std::string node(const Node& n, unsigned fl) {
    switch (n.op) {
      case Op::kLiteral:
        return literal(n.ch, fl);
      case Op::kAny:
        return (fl & kDotAll) != 0 ? "(?s:.)" : "[^\\n]";
      case Op::kIn:
        return set(n, fl);
      case Op::kAt:
        switch (n.at) {
          case At::kBeginning:
            return (fl & kMultiline) != 0 ? "(?<![^\\n])" : "\\A";
          case At::kEnd:
            return (fl & kMultiline) != 0 ? "(?![^\\n])" : "(?=\\n?\\z)";
          case At::kBeginningString:
            return "\\A";
          case At::kEndString:
            return "\\z";
          case At::kBoundary:
            return (fl & kAscii) != 0 ? ascii_boundary(true) : "\\b";
          case At::kNonBoundary:
            // SRE: \B never matches in an empty string.
            return "(?!\\A\\z)" + ((fl & kAscii) != 0 ? ascii_boundary(false) : std::string("\\B"));
        }
        return "";
      case Op::kBranch: {
        std::string out = "(?:";
        for (std::size_t i = 0; i < n.alts.size(); ++i) out += (i ? "|" : "") + seq(n.alts[i], fl);
        return out + ")";
      }
      case Op::kGroup: {
        unsigned inner = (fl | n.add) & ~n.del;
        std::string body = seq(n.alts[0], inner);
        return (n.group != 0 ? "(" : "(?:") + body + ")";
      }
      case Op::kAtomic:
        return "(?>" + seq(n.alts[0], fl) + ")";
      case Op::kRepeat:
        return repeat(n, fl);
      case Op::kGroupRef: {
        std::string ref = "\\g{" + std::to_string(n.group) + "}";
        return (fl & kIgnoreCase) != 0 ? "(?i:" + ref + ")" : ref;
      }
      case Op::kCondRef: {
        std::string out = "(?(" + std::to_string(n.group) + ")" + seq(n.alts[0], fl);
        if (n.alts.size() > 1) out += "|" + seq(n.alts[1], fl);
        return out + ")";
      }
      case Op::kAssert:
        return std::string("(?") + (n.behind ? "<" : "") + (n.negate ? "!" : "=") +
               seq(n.alts[0], fl) + ")";
    }
    return "";
  }

  const State& st_;
};

}  // namespace

Translation translate(std::string_view pattern, unsigned flags) {
  Translation out;
  try {
    Parser parser(decode(pattern), flags);
    Seq tree = parser.parse();
    unsigned fl = parser.state().flags;
    if ((fl & kAscii) != 0 && (fl & kUnicode) != 0) {
      // fix_flags raises ValueError here, which is not re.error: the
      // verifier itself would stop. Nothing matches.
      out.error = "ASCII and UNICODE flags are incompatible";
      return out;
    }
    Emitter em(parser.state());
    out.pcre = em.seq(tree, fl);
  } catch (const ReError& e) {
    out.error = e.what();
    if (e.pos != kNoPos) out.error += " at position " + std::to_string(e.pos);
  }
  return out;
}

std::shared_ptr<Regex> Regex::compile(std::string_view pattern, unsigned flags,
                                      std::string* error) {
  Translation t = translate(pattern, flags);
  if (!t.pcre) {
    if (error != nullptr) *error = t.error;
    return nullptr;
  }
  pcre2_compile_context* ctx = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(ctx, PCRE2_NEWLINE_LF);
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(t.pcre->data()), t.pcre->size(),
                                 PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &code, &offset, ctx);
  pcre2_compile_context_free(ctx);
  if (re == nullptr) {
    // Python accepted it; PCRE2 cannot hold it (a size or nesting limit).
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(code, buf, sizeof buf);
    if (error != nullptr) *error = "PCRE2: " + std::string(reinterpret_cast<char*>(buf));
    return nullptr;
  }
  std::shared_ptr<Regex> out(new Regex());
  out->code_ = re;
  out->jit_ = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
  return out;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

namespace {

// One JIT stack per thread, reserved up to 256 MiB (address space; pages are
// touched only as deep as a match goes), so that long matches stay on the JIT.
struct JitStack {
  pcre2_jit_stack* stack =
      pcre2_jit_stack_create(std::size_t{32} * 1024, std::size_t{256} * 1024 * 1024, nullptr);
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  JitStack() {
    if (stack != nullptr && ctx != nullptr) pcre2_jit_stack_assign(ctx, nullptr, stack);
  }
  ~JitStack() {
    pcre2_match_context_free(ctx);
    pcre2_jit_stack_free(stack);
  }
};

}  // namespace

bool Regex::search(std::string_view text) const {
  auto* re = static_cast<pcre2_code*>(code_);
  thread_local JitStack jit;
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  int rc =
      pcre2_match(re, subject, text.size(), 0, PCRE2_NO_UTF_CHECK, md, jit_ ? jit.ctx : nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The JIT's stack is small; the interpreter keeps its backtracking on the heap.
    rc = pcre2_match(re, subject, text.size(), 0, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
  }
  pcre2_match_data_free(md);
  return rc >= 0;
}

}  // namespace smartspec::verify::pyre
