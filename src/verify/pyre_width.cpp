// The width of a pattern tree (_sre's getwidth), for lookbehinds and group widths.
#include <algorithm>
#include <cstdint>

#include "verify/pyre_tree.hpp"

namespace smartspec::verify::pyre {

namespace {

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

}  // namespace

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

}  // namespace smartspec::verify::pyre
