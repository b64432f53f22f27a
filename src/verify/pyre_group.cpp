// pyre's parser: groups, `(` up to its `)`: captures, names, extensions
// `(?...)`, lookarounds, conditionals, atomic groups and scoped flags.
#include <algorithm>
#include <optional>
#include <string>

#include "verify/pyre_parser.hpp"

namespace smartspec::verify::pyre {

// Returns false when it read global flags (verbose may have changed).
// Long (issue 16): re._parser._parse's group branch kept whole, so that it
// reads against the Python source branch by branch.
bool Parser::parse_group(Seq& sp, unsigned verbose, int nested, bool first) {
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
        if (!ok) src_.error("bad character in group name '" + encode(cond) + "'", cond.size() + 1);
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

}  // namespace smartspec::verify::pyre
