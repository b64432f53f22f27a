// pyre's parser: the pattern, its sequences and alternatives, sets,
// repeats and inline flags (re._parser's parse, _parse_sub, _parse).
#include "verify/pyre_parser.hpp"

#include <algorithm>
#include <string>

namespace smartspec::verify::pyre {

Seq Parser::parse() {
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

// _compiler: a lookbehind must have a fixed width.
void Parser::check_lookbehinds(const Seq& seq) {
  for (const Node& n : seq) {
    if (n.op == Op::kAssert && n.behind) {
      Width w = width_of(n.alts[0], st_);
      if (w.lo != w.hi) throw ReError("look-behind requires fixed-width pattern", kNoPos);
    }
    for (const Seq& a : n.alts) check_lookbehinds(a);
  }
}

void Parser::check_lookbehind_group(std::uint64_t gid) {
  if (st_.lookbehind_groups) {
    if (!st_.closed(gid)) src_.error("cannot refer to an open group");
    if (gid >= *st_.lookbehind_groups) {
      src_.error("cannot refer to group defined in the same lookbehind subpattern");
    }
  }
}

Seq Parser::parse_sub(unsigned verbose, int nested) {
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

bool Parser::flag_of(char32_t c, unsigned& f) {
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

// _parse_flags: false for global flags "(?i)".
bool Parser::parse_flags(Tok ch, unsigned& add, unsigned& del) {
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
        src_.error(!c.esc && is_alpha(c.c) ? "unknown flag" : "missing -, : or )", c.text().size());
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

bool Parser::is_ws(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == 0x0C;
}

void Parser::parse_set(Seq& out) {
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

void Parser::parse_repeat(Tok t, Seq& sp) {
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

Seq Parser::parse(unsigned verbose, int nested, bool first) {
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

}  // namespace smartspec::verify::pyre
