// The checks and the classification. Rules, reason texts and suggestion texts
// are those of SmartSpec's Python verifier (verify_evidence_enhanced.py v6);
// the differences are deliberate, listed in docs/verify.md ("Deliberate
// differences") and switched off by Options::python_compat:
//  * the similar-file search does not look inside .git (the Python tool's
//    rglob does; a commit's tree has no .git, so both sources now agree);
//  * ties between equally similar files, and the files of a directory scan,
//    keep name order (Python: the filesystem's directory order, which is
//    not stable across machines; DirSource gives that order in compat mode);
//  * where the repository lies does not matter (Python denies every path
//    when the root's own absolute path has a .venv, .git … component).
// Speed: directory listings, recursive file lists and name data are cached
// per run, so no subtree is walked twice however many files are missing.
#include "smartspec/verify/verify.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "smartspec/util/text.hpp"
#include "verify/difflib.hpp"
#include "verify/pyre.hpp"

namespace smartspec::verify {

namespace {

constexpr std::array<std::string_view, 6> kDenyDirs = {".git",        ".venv", "node_modules",
                                                       "__pycache__", ".spec", ".smartspec"};
constexpr std::array<std::string_view, 3> kDenyPrefixes = {".env", "id_rsa", "id_ed25519"};

// Components of a '/'-separated path, without empty and "." ones (as pathlib).
std::vector<std::string_view> components(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    std::string_view c = p.substr(start, slash - start);
    if (!c.empty() && c != ".") out.push_back(c);
    start = slash + 1;
  }
  return out;
}

std::string join(const std::vector<std::string_view>& parts, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && i < parts.size(); ++i) {
    if (i != 0) out += '/';
    out += parts[i];
  }
  return out;
}

std::string normalize(std::string_view p) {
  auto parts = components(p);
  return join(parts, parts.size());
}

std::string parent_of(const std::string& norm) {
  std::size_t slash = norm.rfind('/');
  return slash == std::string::npos ? std::string() : norm.substr(0, slash);
}

std::string name_of(const std::string& norm) {
  std::size_t slash = norm.rfind('/');
  return slash == std::string::npos ? norm : norm.substr(slash + 1);
}

std::string child_of(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

bool is_space_ascii_or_more(std::string_view s, std::size_t pos, std::size_t& len) {
  // Python's `\s` for str patterns (see tasks/pytext); the common ASCII cases
  // and the Unicode spaces of 2–3 bytes.
  len = 0;
  if (pos >= s.size()) return false;
  auto c = static_cast<unsigned char>(s[pos]);
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) {
    len = 1;
    return true;
  }
  if (c == 0xC2 && pos + 1 < s.size()) {
    auto d = static_cast<unsigned char>(s[pos + 1]);
    if (d == 0x85 || d == 0xA0) len = 2;
  } else if ((c == 0xE1 || c == 0xE2 || c == 0xE3) && pos + 2 < s.size()) {
    auto d = static_cast<unsigned char>(s[pos + 1]);
    auto e = static_cast<unsigned char>(s[pos + 2]);
    if ((c == 0xE1 && d == 0x9A && e == 0x80) ||
        (c == 0xE2 && d == 0x80 &&
         ((e >= 0x80 && e <= 0x8A) || e == 0xA8 || e == 0xA9 || e == 0xAF)) ||
        (c == 0xE2 && d == 0x81 && e == 0x9F) || (c == 0xE3 && d == 0x80 && e == 0x80)) {
      len = 3;
    }
  }
  return len != 0;
}

// re.search(r"^#+\s+" + re.escape(h) + r"\s*$", text, re.MULTILINE).
bool has_heading(std::string_view text, std::string_view h) {
  std::size_t line_start = 0;
  while (line_start <= text.size()) {
    std::size_t p = line_start;
    while (p < text.size() && text[p] == '#') ++p;
    if (p > line_start) {
      // `#+` cannot give back a '#' to `\s+`; `\s+` takes the whole run when
      // h starts with a non-space (h is stripped), and h must follow it.
      std::size_t q = p, len = 0;
      std::vector<std::size_t> stops;  // positions after 1, 2, ... spaces
      while (is_space_ascii_or_more(text, q, len)) {
        q += len;
        stops.push_back(q);
      }
      auto tail_ok = [&](std::size_t from) {
        // `\s*$`: some prefix of the following spaces ends at "\n" or the end.
        std::size_t r = from, l = 0;
        for (;;) {
          if (r == text.size() || text[r] == '\n') return true;
          if (!is_space_ascii_or_more(text, r, l)) return false;
          r += l;
        }
      };
      if (h.empty()) {
        for (std::size_t s : stops) {
          if (tail_ok(s)) return true;
        }
      } else if (!stops.empty() && text.compare(q, h.size(), h) == 0 && tail_ok(q + h.size())) {
        return true;
      }
    }
    std::size_t nl = text.find('\n', line_start);
    if (nl == std::string_view::npos) break;
    line_start = nl + 1;
  }
  return false;
}

struct FileRec {
  std::string path;
  std::u32string name;
};

// The names of a subtree's files, low byte of each code point, back to back:
// the similar-file search streams through this instead of chasing one heap
// string per file.
struct Packed {
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint32_t> start;  // n + 1 offsets into bytes
  std::vector<std::uint32_t> ids;    // FileRec index per name
};

struct FileInfo {
  bool exists = false;
  std::optional<std::uint64_t> size;
  std::vector<SimilarFile> similar;
};

// Everything the checks learn from the source, asked once.
class Cache {
 public:
  Cache(FileSource& src, const Options& opt) : src_(src), opt_(opt) {}

  FileSource::Kind kind(const std::string& norm) {
    auto it = kinds_.find(norm);
    if (it != kinds_.end()) return it->second;
    return kinds_[norm] = src_.kind(norm);
  }
  // _is_path_allowed(): the deny list on the path as Path.resolve() gives
  // it (symlinks followed). By default relative to the repository; in
  // Python-compat mode the root's own absolute components count too (under
  // ~/.venv/proj every path is denied to the Python tool).
  bool denied(const std::string& norm) {
    auto it = denied_.find(norm);
    if (it != denied_.end()) return it->second;
    return denied_[norm] = is_denied(src_.resolve(norm, opt_.python_compat));
  }
  // The same test for a file met while walking a directory, lexically.
  bool denied_in_walk(const std::string& path) {
    if (!root_checked_) {
      root_checked_ = true;
      root_denied_ = false;
      if (opt_.python_compat) {
        std::string root = src_.resolve("", true);
        for (std::string_view d : kDenyDirs) {
          std::string needle = "/" + std::string(d) + "/";
          if ((root + "/").find(needle) != std::string::npos) root_denied_ = true;
        }
      }
    }
    return root_denied_ || is_denied(path);
  }

  const std::string& text(const std::string& norm) {
    auto it = texts_.find(norm);
    if (it != texts_.end()) return it->second;
    return texts_[norm] = read_text(norm);
  }
  // A directory scan's file: kept while the scans' texts stay under 64 MiB,
  // so that many scans of one directory (one per task) read it once.
  const std::string& scan_text(const std::string& norm) {
    auto it = texts_.find(norm);
    if (it != texts_.end()) return it->second;
    std::string txt = read_text(norm);
    if (scan_bytes_ + txt.size() <= (std::size_t{64} << 20)) {
      scan_bytes_ += txt.size();
      return texts_[norm] = std::move(txt);
    }
    scratch_ = std::move(txt);
    return scratch_;
  }
  std::string read_text(const std::string& norm) {
    auto bytes = src_.read(norm, opt_.max_read_bytes);
    return bytes ? text::decode_utf8_ignore(*bytes) : std::string();
  }

  // re.search(pattern, text, flags=re.MULTILINE) is not None; a pattern
  // re rejects matches nothing (the Python tool catches re.error).
  bool regex_matches(const std::string& pattern, const std::string& text) {
    auto it = regexes_.find(pattern);
    if (it == regexes_.end()) {
      it =
          regexes_.emplace(pattern, pyre::Regex::compile(pattern, pyre::kMultiline, nullptr)).first;
    }
    return it->second && it->second->search(text);
  }

  // Files beneath dir (recursively, .git excluded) in Python rglob order:
  // a directory's files, then each subdirectory's, depth first.
  const std::vector<std::uint32_t>& files_under(const std::string& dir) {
    auto it = subtree_.find(dir);
    if (it != subtree_.end()) return it->second;
    std::vector<std::uint32_t> out;
    const auto& entries = listing(dir);
    for (const auto& e : entries) {
      if (!e.dir) out.push_back(record(child_of(dir, e.name), e.name));
    }
    for (const auto& e : entries) {
      // .git is left out (a commit's tree has none; the Python tool offers
      // ".git/…" files as similar names) unless in Python-compat mode.
      if (!e.dir || (e.name == ".git" && !opt_.python_compat)) continue;
      const auto& sub = files_under(child_of(dir, e.name));
      out.insert(out.end(), sub.begin(), sub.end());
    }
    return subtree_[dir] = std::move(out);
  }
  const FileRec& rec(std::uint32_t i) const { return files_[i]; }

  FileInfo file_info(const std::string& norm) {
    FileInfo fi;
    if (denied(norm)) return fi;
    auto k = kind(norm);
    if (k == FileSource::Kind::kFile) {
      fi.exists = true;
      fi.size = src_.size(norm);
      return fi;
    }
    if (k == FileSource::Kind::kDir) {
      fi.exists = true;
      return fi;
    }
    fi.similar = similar(norm);
    return fi;
  }

  // find_similar_files(): names under the target's directory (or its parent
  // when that is missing) with ratio >= threshold, best first, ties in
  // listing order. Candidates are ranked by an upper bound of the ratio
  // (difflib's real_quick_ratio and a bucketed quick_ratio), so the exact
  // ratio is computed only while it can still change the result.
  std::vector<SimilarFile> similar(const std::string& norm) {
    std::string target = name_of(norm);
    std::string dir = parent_of(norm);
    if (kind(dir) == FileSource::Kind::kMissing) {
      dir = parent_of(dir);
      if (kind(dir) == FileSource::Kind::kMissing) return {};
    }
    std::string key = dir + '\0' + target;
    auto memo = similar_memo_.find(key);
    if (memo != similar_memo_.end()) return memo->second;

    std::u32string t = difflib::code_points(target);
    std::array<std::uint16_t, 256> th{};
    for (char32_t c : t) ++th[c & 0xFF];
    // Bit-parallel LCS (Hyyrö) over the target's positions: the matching
    // blocks difflib finds form a common subsequence, so 2*LCS/T bounds the
    // ratio from above. Characters are bucketed by their low byte, which can
    // only make the LCS larger: still a bound.
    const bool use_lcs = t.size() <= 64;
    std::array<std::uint64_t, 256> pm{};
    if (use_lcs) {
      for (std::size_t i = 0; i < t.size(); ++i) pm[t[i] & 0xFF] |= std::uint64_t{1} << i;
    }
    const std::uint64_t low_mask =
        t.size() >= 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << t.size()) - 1);
    const double thr = opt_.similar_threshold;
    struct Cand {
      double bound;
      std::size_t order;
      std::uint32_t rec;
    };
    std::vector<Cand> cands;
    // One sequential pass over the packed names of the subtree.
    const Packed& pk = packed(dir);
    const std::size_t n = pk.ids.size();
    for (std::size_t order = 0; order < n; ++order) {
      const std::uint8_t* p = pk.bytes.data() + pk.start[order];
      const std::size_t len = pk.start[order + 1] - pk.start[order];
      const auto total = static_cast<double>(t.size() + len);
      if (total == 0) continue;
      // difflib's real_quick_ratio: lengths alone.
      if (2.0 * static_cast<double>(std::min(t.size(), len)) / total < thr) continue;
      std::size_t m = 0;
      if (use_lcs) {
        std::uint64_t v = ~std::uint64_t{0};
        for (std::size_t k = 0; k < len; ++k) {
          std::uint64_t u = v & pm[p[k]];
          v = (v + u) | (v - u);
        }
        m = static_cast<std::size_t>(__builtin_popcountll(~v & low_mask));
      } else {
        std::array<std::uint16_t, 256> left = th;
        for (std::size_t k = 0; k < len; ++k) {
          if (left[p[k]] != 0) {
            --left[p[k]];
            ++m;
          }
        }
      }
      double bound = 2.0 * static_cast<double>(m) / total;
      if (bound < thr) continue;
      std::uint32_t id = pk.ids[order];
      if (files_[id].name == t) continue;
      cands.push_back({bound, order, id});
    }
    std::stable_sort(cands.begin(), cands.end(),
                     [](const Cand& a, const Cand& b) { return a.bound > b.bound; });
    struct Hit {
      double ratio;
      std::size_t order;
      std::uint32_t rec;
    };
    std::vector<Hit> hits;
    auto better = [](const Hit& a, const Hit& b) {
      return a.ratio != b.ratio ? a.ratio > b.ratio : a.order < b.order;
    };
    for (const Cand& c : cands) {
      if (hits.size() >= opt_.max_similar) {
        std::nth_element(hits.begin(), hits.begin() + static_cast<long>(opt_.max_similar) - 1,
                         hits.end(), better);
        hits.resize(opt_.max_similar);
        double kth = std::min_element(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
                       return a.ratio < b.ratio;
                     })->ratio;
        if (c.bound < kth) break;
      }
      double r = difflib::ratio(t, files_[c.rec].name);
      if (r >= thr) hits.push_back({r, c.order, c.rec});
    }
    std::sort(hits.begin(), hits.end(), better);
    if (hits.size() > opt_.max_similar) hits.resize(opt_.max_similar);
    std::vector<SimilarFile> out;
    out.reserve(hits.size());
    for (const Hit& h : hits) out.push_back({files_[h.rec].path, h.ratio});
    similar_memo_.emplace(std::move(key), out);
    return out;
  }

 private:
  const Packed& packed(const std::string& dir) {
    auto it = packed_.find(dir);
    if (it != packed_.end()) return it->second;
    Packed pk;
    const auto& files = files_under(dir);
    pk.ids = files;
    pk.start.reserve(files.size() + 1);
    pk.start.push_back(0);
    for (std::uint32_t id : files) {
      for (char32_t c : files_[id].name) pk.bytes.push_back(static_cast<std::uint8_t>(c & 0xFF));
      pk.start.push_back(static_cast<std::uint32_t>(pk.bytes.size()));
    }
    return packed_[dir] = std::move(pk);
  }
  const std::vector<FileSource::Entry>& listing(const std::string& dir) {
    auto it = listings_.find(dir);
    if (it != listings_.end()) return it->second;
    return listings_[dir] = src_.list(dir);
  }
  std::uint32_t record(std::string path, const std::string& name) {
    auto it = index_.find(path);
    if (it != index_.end()) return it->second;
    FileRec r;
    r.name = difflib::code_points(name);
    r.path = path;
    auto idx = static_cast<std::uint32_t>(files_.size());
    files_.push_back(std::move(r));
    index_.emplace(std::move(path), idx);
    return idx;
  }

  FileSource& src_;
  const Options& opt_;
  std::unordered_map<std::string, FileSource::Kind> kinds_;
  std::unordered_map<std::string, bool> denied_;
  std::size_t scan_bytes_ = 0;
  std::string scratch_;
  bool root_checked_ = false;
  bool root_denied_ = false;
  std::unordered_map<std::string, std::string> texts_;
  std::unordered_map<std::string, std::shared_ptr<pyre::Regex>> regexes_;
  std::unordered_map<std::string, std::vector<FileSource::Entry>> listings_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> subtree_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<FileRec> files_;
  std::unordered_map<std::string, std::vector<SimilarFile>> similar_memo_;
  std::unordered_map<std::string, Packed> packed_;
};

struct Checker {
  Cache& cache;
  const Options& opt;

  // _verify_directory()
  std::string directory(const std::string& norm, const std::optional<std::string>& contains,
                        const std::optional<std::string>& regex, bool& ok) {
    ok = false;
    // As in the Python tool, the directory itself is not checked against
    // the deny list; the files of its walk are.
    if (cache.kind(norm) != FileSource::Kind::kDir) return "directory not found";
    bool want_contains = contains && !contains->empty();
    bool want_regex = regex && !regex->empty();
    if (!want_contains && !want_regex) {
      ok = true;
      return "directory exists";
    }
    std::size_t scanned = 0;
    for (std::uint32_t i : cache.files_under(norm)) {
      const std::string& path = cache.rec(i).path;
      if (cache.denied_in_walk(path)) continue;
      const std::string& txt = cache.scan_text(path);
      ok = true;
      if (want_contains && txt.find(*contains) != std::string::npos) {
        return "found contains in " + path;
      }
      if (want_regex && cache.regex_matches(*regex, txt)) return "found regex in " + path;
      ok = false;
      if (++scanned >= opt.max_scan_files) break;
    }
    return "no match found in directory scan";
  }

  // contains / regex on a file's text; empty string = both pass.
  std::string content(const std::string& txt, const Evidence& ev) {
    auto contains = ev.get("contains");
    if (contains && txt.find(*contains) == std::string::npos) return "contains not found";
    auto regex = ev.get("regex");
    if (regex && !cache.regex_matches(*regex, txt)) return "regex not matched";
    return {};
  }

  EvidenceCheck check(const Evidence& ev) {
    EvidenceCheck c;
    c.evidence = ev;
    c.path = ev.get("path").value_or("");
    std::string norm = normalize(c.path);
    FileInfo fi = cache.file_info(norm);
    c.exists = fi.exists;
    c.size = fi.size;
    c.similar = fi.similar;
    bool is_file = fi.exists && cache.kind(norm) == FileSource::Kind::kFile;
    auto verdict = [&](bool ok, std::string reason) {
      c.ok = ok;
      c.reason = std::move(reason);
      return c;
    };
    if (ev.type == "code") {
      auto symbol = ev.get("symbol");
      if ((!c.path.empty() && c.path.back() == '/') || symbol == "Directory" ||
          cache.kind(norm) == FileSource::Kind::kDir) {
        bool ok = false;
        std::string why = directory(norm, ev.get("contains"), ev.get("regex"), ok);
        return verdict(ok, std::move(why));
      }
      if (!is_file) return verdict(false, "file not found");
      const std::string& txt = cache.text(norm);
      std::string why = content(txt, ev);
      if (!why.empty()) return verdict(false, why);
      if (symbol && !symbol->empty() && txt.find(*symbol) == std::string::npos) {
        return verdict(false, "symbol not found");
      }
      return verdict(true, "matched");
    }
    if (ev.type == "test") {
      if (!fi.exists) return verdict(false, "anchor not found: " + c.path);
      if (is_file) {
        std::string why = content(cache.text(norm), ev);
        if (!why.empty()) return verdict(false, why);
      }
      return verdict(true, "matched");
    }
    // docs, ui
    if (!is_file) return verdict(false, "file not found: " + c.path);
    const std::string& txt = cache.text(norm);
    if (ev.type == "docs") {
      if (auto h = ev.get("heading"); h && !has_heading(txt, *h)) {
        return verdict(false, "heading not found");
      }
    } else if (auto sel = ev.get("selector"); sel && txt.find(*sel) == std::string::npos) {
      return verdict(false, "selector not found");
    }
    std::string why = content(txt, ev);
    if (!why.empty()) return verdict(false, why);
    return verdict(true, "matched");
  }
};

bool reason_has(const EvidenceCheck& c, std::string_view what) {
  return c.reason.find(what) != std::string::npos;
}

std::string categorize(const TaskResult& t) {
  if (t.verified) return "verified";
  bool code_exists = false, test_exists = false, code_similar = false, test_similar = false;
  for (const auto& c : t.checks) {
    if (c.evidence.type == "code") {
      code_exists = code_exists || c.exists;
      code_similar = code_similar || !c.similar.empty();
    } else if (c.evidence.type == "test") {
      test_exists = test_exists || c.exists;
      test_similar = test_similar || !c.similar.empty();
    }
  }
  if (!code_exists && !test_exists) {
    return (code_similar || test_similar) ? "naming_issue" : "not_implemented";
  }
  if (code_exists && !test_exists) return test_similar ? "naming_issue" : "missing_tests";
  if (test_exists && !code_exists) return code_similar ? "naming_issue" : "missing_code";
  auto any = [&](auto pred) { return std::any_of(t.checks.begin(), t.checks.end(), pred); };
  if (any([](const EvidenceCheck& c) { return reason_has(c, "symbol not found"); })) {
    return "symbol_issue";
  }
  if (any([](const EvidenceCheck& c) {
        return reason_has(c, "contains not found") || reason_has(c, "regex not matched");
      })) {
    return "content_issue";
  }
  if (code_similar || test_similar) return "naming_issue";
  return "not_implemented";
}

std::string size_text(const std::optional<std::uint64_t>& size) {
  return size ? std::to_string(*size) : std::string("None");
}

std::vector<std::string> suggestions_for(const TaskResult& t) {
  std::vector<std::string> s;
  const std::string& cat = t.category;
  if (cat == "not_implemented") {
    s.push_back(std::string("⚠️ Task is marked [") + (t.checked ? "x" : " ") +
                "] but no implementation or test files exist");
    if (t.checked) s.emplace_back("→ Update checkbox to [ ] until implementation is complete");
    for (const auto& c : t.checks) {
      if (c.evidence.type == "code" && !c.ok)
        s.push_back("→ Create implementation file: " + c.path);
    }
    for (const auto& c : t.checks) {
      if (c.evidence.type == "test" && !c.ok) s.push_back("→ Create test file: " + c.path);
    }
  } else if (cat == "missing_tests") {
    s.emplace_back("✓ Implementation exists but test files are missing");
    for (const auto& c : t.checks) {
      if (c.evidence.type != "test" || c.ok) continue;
      if (!c.similar.empty()) {
        s.push_back("→ Found similar test file: " + c.similar[0].path);
        s.push_back("→ Update evidence to use: " + name_of(c.similar[0].path));
      } else {
        s.push_back("→ Create test file: " + c.path);
      }
    }
  } else if (cat == "naming_issue") {
    s.emplace_back("⚠️ Files exist but names don't match evidence");
    for (const auto& c : t.checks) {
      if (c.ok || c.similar.empty()) continue;
      s.push_back("→ Found similar file: " + name_of(c.similar[0].path));
      s.push_back("→ Update evidence path to: " + c.similar[0].path);
      s.push_back("   OR rename file to match evidence: " + c.path);
    }
  } else if (cat == "symbol_issue") {
    s.emplace_back("⚠️ File exists but symbol not found");
    for (const auto& c : t.checks) {
      if (c.evidence.type != "code" || !reason_has(c, "symbol not found")) continue;
      s.push_back("→ Symbol '" + c.evidence.get("symbol").value_or("") + "' not found in " +
                  c.path);
      if (c.exists) s.push_back("   File exists (" + size_text(c.size) + " bytes)");
      s.emplace_back("→ Check if symbol is exported or has a different name");
    }
  } else if (cat == "content_issue") {
    s.emplace_back("⚠️ File exists but content doesn't match");
    for (const auto& c : t.checks) {
      if (reason_has(c, "contains not found")) {
        s.push_back("→ String '" + c.evidence.get("contains").value_or("") + "' not found in " +
                    c.path);
      } else if (reason_has(c, "regex not matched")) {
        s.push_back("→ Regex pattern '" + c.evidence.get("regex").value_or("") +
                    "' not matched in " + c.path);
      }
    }
  }
  return s;
}

}  // namespace

bool is_denied(std::string_view rel) {
  auto parts = components(rel);
  for (auto p : parts) {
    if (std::find(kDenyDirs.begin(), kDenyDirs.end(), p) != kDenyDirs.end()) return true;
  }
  if (!parts.empty()) {
    for (auto prefix : kDenyPrefixes) {
      if (parts.back().substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

int priority_of(bool checked, std::string_view category) {
  if (category == "verified") return 0;
  if (checked) return 1;
  if (category == "symbol_issue" || category == "content_issue") return 3;
  if (category == "naming_issue") return 4;
  return 2;
}

const TaskResult* Summary::find(std::string_view id) const {
  for (const auto& t : tasks) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

Summary verify(const TasksDoc& doc, FileSource& source, const Options& options) {
  Cache cache(source, options);
  Checker checker{cache, options};
  Summary out;
  std::vector<std::pair<std::string, int>> missing;  // insertion order, as a Python dict
  for (const TaskLine& task : doc.tasks) {
    TaskResult t;
    t.id = task.id;
    t.title = task.title;
    t.line = task.line;
    t.checked = task.checked;
    t.checkbox_state = task.checked ? "x" : " ";
    for (std::string_view type : {"code", "test", "docs", "ui"}) {
      for (const Evidence& ev : task.evidence) {
        if (ev.type == type) t.checks.push_back(checker.check(ev));
      }
    }
    for (const Evidence& ev : task.evidence) {
      if (ev.type == "code") {
        if (t.code_evidence_count++ == 0) {
          t.code_path = ev.get("path");
          t.code_symbol = ev.get("symbol");
          t.code_contains = ev.get("contains");
        }
      } else if (ev.type == "test") {
        if (t.test_evidence_count++ == 0) {
          t.test_path = ev.get("path");
          t.test_symbol = ev.get("symbol");
          t.test_contains = ev.get("contains");
        }
      }
    }
    t.verified = !t.checks.empty() &&
                 std::all_of(t.checks.begin(), t.checks.end(), [](const auto& c) { return c.ok; });
    t.category = categorize(t);
    t.priority = priority_of(t.checked, t.category);
    t.suggestions = suggestions_for(t);
    if (!t.verified) {
      for (const auto& c : t.checks) {
        if (c.ok) continue;
        for (const auto& sim : c.similar) {
          if (std::none_of(t.similar_files.begin(), t.similar_files.end(),
                           [&](const SimilarFile& f) { return f.path == sim.path; })) {
            t.similar_files.push_back(sim);
          }
        }
        if (c.exists) continue;
        auto it = std::find_if(missing.begin(), missing.end(),
                               [&](const auto& m) { return m.first == c.path; });
        if (it == missing.end()) {
          missing.emplace_back(c.path, 1);
        } else {
          ++it->second;
        }
      }
    }
    ++out.totals.tasks;
    if (t.verified) ++out.totals.verified;
    if (t.checked && !t.verified) ++out.totals.marked_done_but_failed;
    out.tasks.push_back(std::move(t));
  }
  out.totals.not_verified = out.totals.tasks - out.totals.verified;
  for (std::string_view cat : kCategories) {
    int n = static_cast<int>(std::count_if(out.tasks.begin(), out.tasks.end(),
                                           [&](const TaskResult& t) { return t.category == cat; }));
    out.by_category.emplace_back(std::string(cat), n);
  }
  std::stable_sort(missing.begin(), missing.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (missing.size() > 10) missing.resize(10);
  out.most_common_missing_files = std::move(missing);
  return out;
}

}  // namespace smartspec::verify
