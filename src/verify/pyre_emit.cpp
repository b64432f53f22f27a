// pyre's emitter: PCRE2 output for the pattern tree.
#include "verify/pyre_emit.hpp"

#include <cstdio>
#include <string>
#include <string_view>

namespace smartspec::verify::pyre {

namespace {

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

std::string emit(const Seq& tree, const State& st, unsigned flags) {
  Emitter em(st);
  return em.seq(tree, flags);
}

}  // namespace smartspec::verify::pyre
