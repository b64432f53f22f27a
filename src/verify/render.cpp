// summary.json and report.md, in the Python verifier's shapes (same keys in
// the same order, same report layout), plus the fields the prompter reads.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

#include "smartspec/util/json.hpp"
#include "smartspec/verify/verify.hpp"

namespace smartspec::verify {

namespace {

int percent(int part, int total) { return total > 0 ? part * 100 / total : 0; }

// "not_implemented" → "Not Implemented" (Python's str.title() after replace).
std::string title_case(std::string_view cat) {
  std::string out;
  bool start = true;
  for (char c : cat) {
    if (c == '_') {
      out += ' ';
      start = true;
      continue;
    }
    out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  return out;
}

std::string base_name(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void write_similar(JsonWriter& w, const std::vector<SimilarFile>& files) {
  w.key("similar_files").begin_array();
  for (const auto& f : files) {
    w.begin_object();
    w.field("file", f.path);
    w.field("name", base_name(f.path));
    w.field("ratio", f.ratio);
    w.field("percent", static_cast<int>(std::lround(f.ratio * 100)));
    w.field("similarity",
            static_cast<int>(std::lround(f.ratio * 100)));  // what the prompter prints
    w.end_object();
  }
  w.end_array();
}

// Appends formatted text to `o`.
template <typename... Args>
void put(std::string& o, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(o), f, std::forward<Args>(args)...);
}

int count_of(const Summary& s, std::string_view cat) {
  for (const auto& [name, n] : s.by_category) {
    if (name == cat) return n;
  }
  return 0;
}

}  // namespace

RunInfo run_info_now(std::string tasks_path) {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  char id[32];
  std::strftime(id, sizeof id, "%Y%m%d_%H%M%S", &tm);
  char iso[48];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
  RunInfo info;
  info.run_id = id;
  info.generated_at = iso;
  if (micros != 0) {  // datetime.isoformat() leaves out a zero fraction
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(micros));
    info.generated_at += frac;
  }
  info.tasks_path = std::move(tasks_path);
  return info;
}

namespace {

void write_inputs(JsonWriter& w, const RunInfo& info) {
  w.key("inputs").begin_object();
  w.field("tasks_path", info.tasks_path);
  w.field("repo_root", info.repo_root);
  w.key("rev");
  if (info.rev.empty()) {
    w.null();
  } else {
    w.value(info.rev);
  }
  w.end_object();
}

void write_check(JsonWriter& w, const EvidenceCheck& c) {
  w.begin_object();
  w.field("line", c.evidence.line);
  w.field("type", c.evidence.type);
  w.field("path", c.path);
  w.field("ok", c.ok);
  w.field("reason", c.reason);
  w.field("exists", c.exists);
  w.key("size");
  if (c.size) {
    w.value(static_cast<std::int64_t>(*c.size));
  } else {
    w.null();
  }
  write_similar(w, c.similar);
  w.end_object();
}

void write_task(JsonWriter& w, const TaskResult& t) {
  w.begin_object();
  w.field("task_id", t.id);
  w.field("title", t.title);
  w.field("checked", t.checked);
  w.field("verified", t.verified);
  w.field("category", t.category);
  w.field("code_evidence_count", t.code_evidence_count);
  w.field("test_evidence_count", t.test_evidence_count);
  w.key("suggestions").string_array(t.suggestions);
  // A verified task has no priority: the key is left out, as the Python
  // verifier leaves it out for every task. The prompter reads
  // .get("priority", 4) and then compares priorities (min(), sort), so a
  // null here made it crash once two tasks verified.
  if (t.priority != 0) w.field("priority", t.priority);
  w.field("checkbox_state", t.checkbox_state);
  w.field("line", t.line);
  w.field("code_path", t.code_path);
  w.field("test_path", t.test_path);
  w.field("code_symbol", t.code_symbol);
  w.field("test_symbol", t.test_symbol);
  w.field("code_contains", t.code_contains);
  w.field("test_contains", t.test_contains);
  write_similar(w, t.similar_files);
  w.key("evidence").begin_array();
  for (const auto& c : t.checks) write_check(w, c);
  w.end_array();
  w.end_object();
}

}  // namespace

std::string to_json(const Summary& s, const RunInfo& info) {
  JsonWriter w;
  w.begin_object();
  w.field("workflow", "smartspec_verify_tasks_progress_enhanced");
  w.field("version", "6.0.0");
  w.field("run_id", info.run_id);
  w.field("generated_at", info.generated_at);
  write_inputs(w, info);
  w.key("totals").begin_object();
  w.field("tasks", s.totals.tasks);
  w.field("total_tasks", s.totals.tasks);
  w.field("verified", s.totals.verified);
  w.field("not_verified", s.totals.not_verified);
  w.field("marked_done_but_failed", s.totals.marked_done_but_failed);
  w.end_object();
  w.key("by_category").begin_object();
  for (const auto& [cat, n] : s.by_category) w.field(cat, n);
  w.end_object();
  w.key("most_common_missing_files").begin_array();
  for (const auto& [file, n] : s.most_common_missing_files) {
    w.begin_object().field("file", file).field("count", n).end_object();
  }
  w.end_array();
  w.key("warnings").begin_array();
  for (const auto& d : info.warnings) {
    w.begin_object().field("file", d.file).field("line", d.line).field("message", d.message);
    w.end_object();
  }
  w.end_array();
  w.key("tasks").begin_array();
  for (const auto& t : s.tasks) write_task(w, t);
  w.end_array();
  w.end_object();
  return w.str();
}

namespace {

void executive_summary(std::string& o, const Summary& s, const RunInfo& info) {
  const int total = s.totals.tasks;
  o += "# Enhanced Task Verification Report\n\n";
  put(o, "**Generated:** {}\n", info.generated_at);
  put(o, "**Run ID:** {}\n", info.run_id);
  put(o, "**Tasks File:** {}\n", info.tasks_path);
  o += "**Script Version:** v6.0.0 (Enhanced)\n\n";
  o += "## Executive Summary\n\n";
  put(o, "- **Total Tasks:** {}\n", total);
  put(o, "- **Verified:** {} ({}%)\n", s.totals.verified, percent(s.totals.verified, total));
  put(o, "- **Not Verified:** {} ({}%)\n", s.totals.not_verified,
      percent(s.totals.not_verified, total));
  put(o, "- **Critical Issues:** {} tasks marked [x] but not verified\n\n",
      s.totals.marked_done_but_failed);
  o += "### Breakdown by Problem Category\n\n";
  for (const auto& [cat, n] : s.by_category) {
    if (n == 0) continue;
    put(o, "- **{}:** {} tasks ({}%)\n", title_case(cat), n, percent(n, total));
  }
  if (!s.most_common_missing_files.empty()) {
    o += "\n### Most Common Missing Files\n\n";
    for (const auto& [file, n] : s.most_common_missing_files) {
      put(o, "- `{}` — affects {} task(s)\n", file, n);
    }
  }
  o += "\n---\n\n";
}

// A task's checks of one type ("code", "test"), the failed ones with why.
void evidence_block(std::string& o, const TaskResult& t, std::string_view type,
                    std::string_view label) {
  bool any = false;
  for (const auto& c : t.checks) {
    if (c.evidence.type != type) continue;
    if (!any) put(o, "**{} Evidence:**\n", label);
    any = true;
    put(o, "- {} Line {}: `{}`\n", c.ok ? "✅" : "❌", c.evidence.line, c.path);
    if (c.ok) continue;
    put(o, "  - Reason: {}\n", c.reason);
    if (c.exists) {
      put(o, "  - File exists ({} bytes)\n", c.size ? std::to_string(*c.size) : "None");
    } else if (!c.similar.empty()) {
      o += "  - Similar files found:\n";
      for (std::size_t i = 0; i < c.similar.size() && i < 3; ++i) {
        put(o, "    - `{}`\n", base_name(c.similar[i].path));
      }
    }
  }
  if (any) o += "\n";
}

// One section per problem category, its tasks and their evidence.
void category_sections(std::string& o, const Summary& s) {
  struct Section {
    std::string_view cat, title, desc;
  };
  static constexpr Section kSections[] = {
      {"not_implemented", "❌ Not Implemented", "Tasks with no implementation or test files"},
      {"missing_tests", "⚠️ Missing Tests", "Tasks with implementation but no test files"},
      {"naming_issue", "📝 Naming Issues", "Tasks where files exist but names don't match evidence"},
      {"symbol_issue", "🔍 Symbol Issues", "Tasks where files exist but symbols not found"},
      {"content_issue", "📄 Content Issues", "Tasks where files exist but content doesn't match"},
      {"missing_code", "⚠️ Missing Code", "Tasks with tests but no implementation"},
  };
  for (const auto& sec : kSections) {
    int n = count_of(s, sec.cat);
    if (n == 0) continue;
    put(o, "## {}\n\n*{}*\n\n**Count:** {} tasks\n\n", sec.title, sec.desc, n);
    for (const auto& t : s.tasks) {
      if (t.category != sec.cat) continue;
      put(o, "### [{}] {}: {}\n\n", t.checkbox_state, t.id, t.title);
      evidence_block(o, t, "code", "Code");
      evidence_block(o, t, "test", "Test");
      if (!t.suggestions.empty()) {
        o += "**Recommendations:**\n";
        for (const auto& line : t.suggestions) put(o, "{}\n", line);
        o += "\n";
      }
      o += "---\n\n";
    }
  }
  if (int n = count_of(s, "verified"); n > 0) {
    put(o, "## ✅ Verified Tasks\n\n**Count:** {} tasks\n\n", n);
    o += "All evidence verified successfully for these tasks:\n\n";
    for (const auto& t : s.tasks) {
      if (t.verified) put(o, "- {}: {}\n", t.id, t.title);
    }
    o += "\n";
  }
}

void recommended_actions(std::string& o, const Summary& s) {
  o += "## 📋 Recommended Actions\n\n";
  if (s.totals.marked_done_but_failed > 0) {
    put(o, "### Priority 1: Fix Critical Issues ({} tasks)\n\n", s.totals.marked_done_but_failed);
    o += "These tasks are marked [x] as done but verification failed:\n\n";
    for (const auto& t : s.tasks) {
      if (t.checked && !t.verified) put(o, "- {}: {}\n", t.id, t.title);
    }
    o += "\n**Action:** Review these tasks and either:\n";
    o += "1. Complete the implementation\n";
    o += "2. Update checkbox to [ ] until complete\n\n";
  }
  if (int n = count_of(s, "not_implemented"); n > 0) {
    put(o, "### Priority 2: Implement Missing Features ({} tasks)\n\n", n);
    if (!s.most_common_missing_files.empty()) {
      o += "Focus on these files to fix multiple tasks:\n\n";
      for (std::size_t i = 0; i < s.most_common_missing_files.size() && i < 5; ++i) {
        const auto& [file, count] = s.most_common_missing_files[i];
        put(o, "- Create `{}` → fixes {} task(s)\n", file, count);
      }
    }
    o += "\n";
  }
  if (int n = count_of(s, "missing_tests"); n > 0) {
    put(o, "### Priority 3: Add Missing Tests ({} tasks)\n\n", n);
    for (const auto& t : s.tasks) {
      if (t.category == "missing_tests") put(o, "- {}: Create tests for {}\n", t.id, t.title);
    }
    o += "\n";
  }
  if (int n = count_of(s, "naming_issue"); n > 0) {
    put(o, "### Priority 4: Fix Naming Issues ({} tasks)\n\n", n);
    o += "Update evidence in tasks.md to use correct filenames\n\n";
  }
}

}  // namespace

std::string to_markdown(const Summary& s, const RunInfo& info) {
  std::string o;
  executive_summary(o, s, info);
  category_sections(o, s);
  recommended_actions(o, s);
  return o;
}

}  // namespace smartspec::verify
