// pyre's parser: escapes, in a set (class_escape) and outside one (escape).
#include <string>

#include "verify/pyre_parser.hpp"

namespace smartspec::verify::pyre {

bool Parser::in_class_category(Tok t, SetItem& item) {
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

bool Parser::simple_escape(char32_t c, char32_t& out) {
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
bool Parser::numeric_escape(Tok t, std::u32string& escape, char32_t& out) {
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

SetItem Parser::class_escape(Tok t) {
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

// Long (issue 16): one switch over the escape letters, as re._parser._escape.
Node Parser::escape(Tok t) {
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

}  // namespace smartspec::verify::pyre
