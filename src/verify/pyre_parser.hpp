// pyre's parser: re._parser's Tokenizer and grammar over a decoded pattern,
// building the tree of pyre_tree.hpp and throwing ReError where Python raises
// re.error. Private to the verify module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "verify/pyre_tree.hpp"

namespace smartspec::verify::pyre {

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

inline std::string octal_text(std::u32string_view esc) { return encode(esc); }

// ---- the parser (re._parser) ---------------------------------------------

class Parser {
 public:
  Parser(std::u32string pattern, unsigned flags) : src_(std::move(pattern)) { st_.flags = flags; }

  Seq parse();
  [[nodiscard]] const State& state() const { return st_; }

 private:
  // _compiler: a lookbehind must have a fixed width.
  void check_lookbehinds(const Seq& seq);
  static bool in_class_category(Tok t, SetItem& item);
  static bool simple_escape(char32_t c, char32_t& out);

  // \x \u \U \N: true and the code point when `t` is one of them.
  bool numeric_escape(Tok t, std::u32string& escape, char32_t& out);
  SetItem class_escape(Tok t);
  Node escape(Tok t);
  void check_lookbehind_group(std::uint64_t gid);
  Seq parse_sub(unsigned verbose, int nested);
  static bool flag_of(char32_t c, unsigned& f);
  static bool is_alpha(char32_t c) { return c >= 0x80 || is_ascii_letter(c); }

  // _parse_flags: false for global flags "(?i)".
  bool parse_flags(Tok ch, unsigned& add, unsigned& del);
  static bool is_ws(char32_t c);
  void parse_set(Seq& out);
  static bool is_repeat_code(const Node& n) { return n.op == Op::kRepeat; }

  void parse_repeat(Tok t, Seq& sp);
  Seq parse(unsigned verbose, int nested, bool first);

  // Returns false when it read global flags (verbose may have changed).
  bool parse_group(Seq& sp, unsigned verbose, int nested, bool first);
  Source src_;
  State st_;
};

}  // namespace smartspec::verify::pyre
