// A faithful port of the parts of difflib.SequenceMatcher that ratio() uses:
// b2j with the autojunk heuristic (b of 200 or more elements: elements more
// frequent than 1% + 1 are "popular" and never start or continue a match in
// the main loop), find_longest_match() with its tie-breaking (earliest i,
// then earliest j) and its extension over popular elements, and the
// queue-driven recursion of get_matching_blocks(). The ratio depends on the
// blocks found, so the order of the search matters and is kept.
#include "verify/difflib.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "smartspec/verify/verify.hpp"

namespace smartspec::verify::difflib {

std::u32string code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))) {
      ok = false;
    }
    if (!ok) {
      out.push_back(0xDC00 + b0);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

namespace {

struct Match {
  std::size_t i, j, k;
};

class Matcher {
 public:
  Matcher(const std::u32string& a, const std::u32string& b) : a_(a), b_(b) {
    std::size_t n = b_.size();
    if (n >= 200) {
      std::unordered_map<char32_t, std::size_t> counts;
      for (char32_t c : b_) ++counts[c];
      std::size_t ntest = n / 100 + 1;
      for (const auto& [c, count] : counts) {
        if (count > ntest) popular_.insert(c);
      }
    }
    // Reused between calls: ratio() runs for many short names.
    thread_local std::vector<std::size_t> prev_buf, cur_buf;
    prev_buf.assign(n + 1, 0);
    cur_buf.assign(n + 1, 0);
    prev_ = &prev_buf;
    cur_ = &cur_buf;
  }

  // find_longest_match(alo, ahi, blo, bhi) with isjunk=None.
  Match longest(std::size_t alo, std::size_t ahi, std::size_t blo, std::size_t bhi) {
    std::size_t besti = alo, bestj = blo, bestsize = 0;
    // prev_[j+1] = length of the match ending at (i-1, j), within [blo, bhi).
    std::vector<std::size_t>& prev = *prev_;
    std::vector<std::size_t>& cur = *cur_;
    std::fill(prev.begin() + static_cast<long>(blo), prev.begin() + static_cast<long>(bhi) + 1, 0);
    for (std::size_t i = alo; i < ahi; ++i) {
      char32_t ai = a_[i];
      bool usable = popular_.empty() || !popular_.contains(ai);
      cur[blo] = 0;
      for (std::size_t j = blo; j < bhi; ++j) {
        std::size_t k = 0;
        if (usable && b_[j] == ai) {
          k = prev[j] + 1;
          if (k > bestsize) {
            besti = i + 1 - k;
            bestj = j + 1 - k;
            bestsize = k;
          }
        }
        cur[j + 1] = k;
      }
      std::swap(prev, cur);
    }
    // Extend over equal non-junk elements (popular ones are not junk).
    while (besti > alo && bestj > blo && a_[besti - 1] == b_[bestj - 1]) {
      --besti;
      --bestj;
      ++bestsize;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi &&
           a_[besti + bestsize] == b_[bestj + bestsize]) {
      ++bestsize;
    }
    return {besti, bestj, bestsize};
  }

  std::size_t matching() {
    std::size_t total = 0;
    std::vector<std::tuple<std::size_t, std::size_t, std::size_t, std::size_t>> queue;
    queue.emplace_back(0, a_.size(), 0, b_.size());
    while (!queue.empty()) {
      auto [alo, ahi, blo, bhi] = queue.back();
      queue.pop_back();
      Match m = longest(alo, ahi, blo, bhi);
      if (m.k == 0) continue;
      total += m.k;
      if (alo < m.i && blo < m.j) queue.emplace_back(alo, m.i, blo, m.j);
      if (m.i + m.k < ahi && m.j + m.k < bhi) queue.emplace_back(m.i + m.k, ahi, m.j + m.k, bhi);
    }
    return total;
  }

 private:
  const std::u32string& a_;
  const std::u32string& b_;
  std::unordered_set<char32_t> popular_;
  std::vector<std::size_t>* prev_ = nullptr;
  std::vector<std::size_t>* cur_ = nullptr;
};

}  // namespace

std::size_t matching_characters(const std::u32string& a, const std::u32string& b) {
  if (a.empty() || b.empty()) return 0;
  return Matcher(a, b).matching();
}

double ratio(const std::u32string& a, const std::u32string& b) {
  std::size_t t = a.size() + b.size();
  if (t == 0) return 1.0;
  return 2.0 * static_cast<double>(matching_characters(a, b)) / static_cast<double>(t);
}

}  // namespace smartspec::verify::difflib

namespace smartspec::verify {

double similarity(std::string_view a, std::string_view b) {
  return difflib::ratio(difflib::code_points(a), difflib::code_points(b));
}

}  // namespace smartspec::verify
