// summary.json and report.md, in the Python verifier's shapes (same keys in
// the same order, same report layout), plus the fields the prompter reads.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

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

std::string to_json(const Summary& s, const RunInfo& info) {
  JsonWriter w;
  w.begin_object();
  w.field("workflow", "smartspec_verify_tasks_progress_enhanced");
  w.field("version", "6.0.0");
  w.field("run_id", info.run_id);
  w.field("generated_at", info.generated_at);
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
  for (const auto& t : s.tasks) {
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
    for (const auto& c : t.checks) {
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
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

std::string to_markdown(const Summary& s, const RunInfo& info) {
  std::string o;
  const int total = s.totals.tasks;
  o += "# Enhanced Task Verification Report\n\n";
  o += "**Generated:** " + info.generated_at + "\n";
  o += "**Run ID:** " + info.run_id + "\n";
  o += "**Tasks File:** " + info.tasks_path + "\n";
  o += "**Script Version:** v6.0.0 (Enhanced)\n\n";
  o += "## Executive Summary\n\n";
  o += "- **Total Tasks:** " + std::to_string(total) + "\n";
  o += "- **Verified:** " + std::to_string(s.totals.verified) + " (" +
       std::to_string(percent(s.totals.verified, total)) + "%)\n";
  o += "- **Not Verified:** " + std::to_string(s.totals.not_verified) + " (" +
       std::to_string(percent(s.totals.not_verified, total)) + "%)\n";
  o += "- **Critical Issues:** " + std::to_string(s.totals.marked_done_but_failed) +
       " tasks marked [x] but not verified\n\n";
  o += "### Breakdown by Problem Category\n\n";
  for (const auto& [cat, n] : s.by_category) {
    if (n == 0) continue;
    o += "- **" + title_case(cat) + ":** " + std::to_string(n) + " tasks (" +
         std::to_string(percent(n, total)) + "%)\n";
  }
  if (!s.most_common_missing_files.empty()) {
    o += "\n### Most Common Missing Files\n\n";
    for (const auto& [file, n] : s.most_common_missing_files) {
      o += "- `" + file + "` — affects " + std::to_string(n) + " task(s)\n";
    }
  }
  o += "\n---\n\n";

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
  auto evidence_block = [&](const TaskResult& t, std::string_view type, std::string_view label) {
    bool any = false;
    for (const auto& c : t.checks) {
      if (c.evidence.type != type) continue;
      if (!any) o += "**" + std::string(label) + " Evidence:**\n";
      any = true;
      o += std::string("- ") + (c.ok ? "✅" : "❌") + " Line " + std::to_string(c.evidence.line) +
           ": `" + c.path + "`\n";
      if (c.ok) continue;
      o += "  - Reason: " + c.reason + "\n";
      if (c.exists) {
        o += "  - File exists (" + (c.size ? std::to_string(*c.size) : std::string("None")) +
             " bytes)\n";
      } else if (!c.similar.empty()) {
        o += "  - Similar files found:\n";
        for (std::size_t i = 0; i < c.similar.size() && i < 3; ++i) {
          o += "    - `" + base_name(c.similar[i].path) + "`\n";
        }
      }
    }
    if (any) o += "\n";
  };
  for (const auto& sec : kSections) {
    int n = count_of(s, sec.cat);
    if (n == 0) continue;
    o += "## " + std::string(sec.title) + "\n\n";
    o += "*" + std::string(sec.desc) + "*\n\n";
    o += "**Count:** " + std::to_string(n) + " tasks\n\n";
    for (const auto& t : s.tasks) {
      if (t.category != sec.cat) continue;
      o += "### [" + t.checkbox_state + "] " + t.id + ": " + t.title + "\n\n";
      evidence_block(t, "code", "Code");
      evidence_block(t, "test", "Test");
      if (!t.suggestions.empty()) {
        o += "**Recommendations:**\n";
        for (const auto& line : t.suggestions) o += line + "\n";
        o += "\n";
      }
      o += "---\n\n";
    }
  }
  if (int n = count_of(s, "verified"); n > 0) {
    o += "## ✅ Verified Tasks\n\n";
    o += "**Count:** " + std::to_string(n) + " tasks\n\n";
    o += "All evidence verified successfully for these tasks:\n\n";
    for (const auto& t : s.tasks) {
      if (t.verified) o += "- " + t.id + ": " + t.title + "\n";
    }
    o += "\n";
  }
  o += "## 📋 Recommended Actions\n\n";
  if (s.totals.marked_done_but_failed > 0) {
    o += "### Priority 1: Fix Critical Issues (" + std::to_string(s.totals.marked_done_but_failed) +
         " tasks)\n\n";
    o += "These tasks are marked [x] as done but verification failed:\n\n";
    for (const auto& t : s.tasks) {
      if (t.checked && !t.verified) o += "- " + t.id + ": " + t.title + "\n";
    }
    o += "\n**Action:** Review these tasks and either:\n";
    o += "1. Complete the implementation\n";
    o += "2. Update checkbox to [ ] until complete\n\n";
  }
  if (int n = count_of(s, "not_implemented"); n > 0) {
    o += "### Priority 2: Implement Missing Features (" + std::to_string(n) + " tasks)\n\n";
    if (!s.most_common_missing_files.empty()) {
      o += "Focus on these files to fix multiple tasks:\n\n";
      for (std::size_t i = 0; i < s.most_common_missing_files.size() && i < 5; ++i) {
        const auto& [file, count] = s.most_common_missing_files[i];
        o += "- Create `" + file + "` → fixes " + std::to_string(count) + " task(s)\n";
      }
    }
    o += "\n";
  }
  if (int n = count_of(s, "missing_tests"); n > 0) {
    o += "### Priority 3: Add Missing Tests (" + std::to_string(n) + " tasks)\n\n";
    for (const auto& t : s.tasks) {
      if (t.category == "missing_tests") o += "- " + t.id + ": Create tests for " + t.title + "\n";
    }
    o += "\n";
  }
  if (int n = count_of(s, "naming_issue"); n > 0) {
    o += "### Priority 4: Fix Naming Issues (" + std::to_string(n) + " tasks)\n\n";
    o += "Update evidence in tasks.md to use correct filenames\n\n";
  }
  return o;
}

}  // namespace smartspec::verify
