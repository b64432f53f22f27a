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
#include "verify/cache.hpp"
#include "verify/difflib.hpp"
#include "verify/pyre.hpp"

namespace smartspec::verify {

namespace {

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

// One task's checks and what follows from them.
TaskResult check_task(const TaskLine& task, Checker& checker) {
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
  return t;
}

// An unverified task's similar files, and its missing files counted in
// `missing` (insertion order, as a Python dict).
void note_unverified(TaskResult& t, std::vector<std::pair<std::string, int>>& missing) {
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

}  // namespace

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
    TaskResult t = check_task(task, checker);
    if (!t.verified) note_unverified(t, missing);
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
