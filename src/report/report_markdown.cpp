// The run report as markdown: what a person reads, also the git note. A pure
// function of its input.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "report/format.hpp"
#include "smartspec/report/report.hpp"
#include "smartspec/util/json.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec::report {

using detail::code_span;
using detail::count_noun;
using detail::one_line;
using detail::short_id;
namespace {

std::string with_percent(int n, int total) { return fmt::format("{} ({}%)", n, percent(n, total)); }

// Appends formatted text to `md`.
template <typename... Args>
void put(std::string& md, fmt::format_string<Args...> f, Args&&... args) {
  fmt::format_to(std::back_inserter(md), f, std::forward<Args>(args)...);
}

std::string code_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += code_span(i);
  }
  return out;
}

// "— committed `abc1234`" etc., after the unit's name in its heading.
std::string unit_state(const UnitReport& u) {
  switch (u.status) {
    case UnitStatus::kCommitted:
      return fmt::format("committed {}", code_span(short_id(u.commit)));
    case UnitStatus::kNothingToCommit:
      return "nothing to commit";
    case UnitStatus::kRolledBack:
      return "rolled back";
    case UnitStatus::kNotRun:
      return "not run";
    case UnitStatus::kDoneEarlier:
      return u.commit.empty() ? "done earlier"
                              : fmt::format("done earlier ({})", code_span(short_id(u.commit)));
  }
  return "not run";
}

// What follows the title on a task's line in "By unit".
std::string task_suffix(const TaskReport& t) {
  auto why = [&](std::string_view what) {
    return t.error.empty() ? fmt::format(" — {}", what)
                           : fmt::format(" — {} ({})", what, one_line(t.error));
  };
  switch (t.status) {
    case TaskStatus::kVerified:
      return "";
    case TaskStatus::kSucceeded:
    case TaskStatus::kAppliedUnverified:
      return t.has_evidence ? why("applied, not verified") : " — applied (no evidence to verify)";
    case TaskStatus::kNoChange:
      return why("no change");
    case TaskStatus::kNeedsAgent:
      return why("needs an agent");
    case TaskStatus::kRefused:
      return t.error.empty() ? " — refused" : " — refused: " + one_line(t.error);
    case TaskStatus::kFailed:
      return t.error.empty() ? " — failed" : " — " + one_line(t.error);
    case TaskStatus::kAlreadyDone:
      return " — already done";
    case TaskStatus::kNotRun:
      return " — not run";
  }
  return "";
}

// A fenced block whose fence is longer than any backtick run in `body`.
std::string fenced(std::string_view body, std::string_view info) {
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  const bool ends_line = body.empty() || body.back() == '\n';
  return fmt::format("{0}{1}\n{2}{3}{0}\n", fence, info, body, ends_line ? "" : "\n");
}

void verify_row(std::string& md, std::string_view label, const VerifyFigures& v) {
  put(md, "| {} | {} | {} | {} |\n", label, v.total, with_percent(v.verified, v.total),
      with_percent(v.not_verified, v.total));
}

bool branch_moved(const RunReport& r) { return !r.tip.empty() && r.tip != r.base; }

// The title and what the run was: when, how, on what.
void header(std::string& md, const RunReport& r) {
  put(md, "# Batch Execution Report — {}\n\n", one_line(r.run_id));
  put(md, "- **Started:** {}\n", one_line(r.started));
  put(md, "- **Completed:** {}\n", one_line(r.completed));
  put(md, "- **Duration:** {}\n", format_duration(r.duration_seconds));
  if (r.resumed) md += "- **Resumed:** yes\n";
  if (r.dry_run) md += "- **Dry run:** yes (nothing was changed)\n";
  put(md, "- **Mode:** {}\n", one_line(r.mode));
  put(md, "- **Branch:** {} — base {}", code_span(r.branch), code_span(short_id(r.base)));
  if (!r.tip.empty()) put(md, ", tip {}", code_span(short_id(r.tip)));
  md += "\n";
  put(md, "- **Prompt pack:** {}", code_span(r.prompts_dir));
  if (!r.pack_digest.empty()) put(md, " (digest {})", code_span(r.pack_digest));
  md += "\n";
  if (!r.tasks_path.empty()) put(md, "- **Tasks:** {}\n", code_span(r.tasks_path));
}

void results(std::string& md, const RunReport& r, const Totals& t) {
  md += "\n## Results\n\n";
  put(md, "- **Total tasks:** {}\n", t.total);
  put(md, "- **Verified:** {}\n", with_percent(t.verified, t.total));
  put(md, "- **Applied, not verified:** {}\n", with_percent(t.applied_unverified, t.total));
  put(md, "- **No change:** {}\n", with_percent(t.no_change, t.total));
  put(md, "- **Needs an agent:** {}\n", with_percent(t.needs_agent, t.total));
  put(md, "- **Refused:** {}\n", with_percent(t.refused, t.total));
  put(md, "- **Failed:** {}\n", with_percent(t.failed, t.total));
  put(md, "- **Already done:** {}\n", with_percent(t.already_done, t.total));
  if (t.not_run > 0) put(md, "- **Not run:** {}\n", with_percent(t.not_run, t.total));
  if (!r.stopped_reason.empty()) put(md, "- **Stopped:** {}\n", one_line(r.stopped_reason));
  put(md, "- **Exit code:** {} — {}\n", r.exit_code, detail::run_exit_meaning(r));
}

// A task's line in "By unit" and what it changed, noted and logged.
void task_lines(std::string& md, const TaskReport& task) {
  put(md, "- {} **{}**: {}{}\n", detail::status_marker(task.status), one_line(task.id),
      one_line(task.title), task_suffix(task));
  if (!task.files_created.empty()) put(md, "  - created: {}\n", code_list(task.files_created));
  if (!task.files_modified.empty()) put(md, "  - modified: {}\n", code_list(task.files_modified));
  for (const auto& [from, to] : task.files_renamed) {
    put(md, "  - renamed: {} → {}\n", code_span(from), code_span(to));
  }
  for (const auto& n : task.notes) put(md, "  - note: {}\n", one_line(n));
  if (task.attempts > 0) put(md, "  - agent attempts: {}\n", task.attempts);
  if (!task.log.empty()) put(md, "  - log: {}\n", code_span(task.log));
}

void by_unit(std::string& md, const RunReport& r) {
  md += "\n## By unit\n";
  if (r.units.empty()) md += "\nNo unit was planned.\n";
  for (const auto& u : r.units) {
    put(md, "\n### {} (priority {}) — {}\n\n", unit_name(u.unit), u.priority, unit_state(u));
    if (u.status == UnitStatus::kRolledBack) {
      put(md, "Rolled back: {}",
          u.reason.empty() ? std::string("no reason given") : one_line(u.reason));
      if (!u.failed_ref.empty()) put(md, ". Partial work kept at {}", code_span(u.failed_ref));
      md += ".\n\n";
    }
    if (!u.verify_cmd_output.empty()) {
      put(md, "Output of `--verify-cmd`:\n\n{}\n", fenced(u.verify_cmd_output, "text"));
    }
    if (u.tasks.empty()) md += "No task.\n";
    for (const auto& task : u.tasks) task_lines(md, task);
  }
}

void verification(std::string& md, const RunReport& r) {
  if (!r.before && !r.after) return;
  md += "\n## Verification\n\n";
  md += "| | Total | Verified | Not verified |\n";
  md += "| --- | ---: | ---: | ---: |\n";
  if (r.before) verify_row(md, "Before", *r.before);
  if (r.after) verify_row(md, "After", *r.after);
}

void failed_tasks(std::string& md, const RunReport& r) {
  md += "\n## Failed tasks\n";
  for (const auto& u : r.units) {
    for (const auto& task : u.tasks) {
      if (task.status != TaskStatus::kFailed && task.status != TaskStatus::kRefused) continue;
      put(md, "\n### {}: {}\n\n", one_line(task.id), one_line(task.title));
      put(md, "- **Unit:** {}\n", unit_name(u.unit));
      put(md, "- **Error:** {}\n", task.error.empty() ? "(none given)" : one_line(task.error));
      if (!task.file.empty()) {
        put(md, "- **File:** {}", code_span(task.file));
        if (task.line > 0) put(md, ", line {}", task.line);
        md += "\n";
      }
      if (!task.suggested_fix.empty()) {
        put(md, "- **Suggested fix:** {}\n", one_line(task.suggested_fix));
      }
      if (!task.log.empty()) put(md, "- **Log:** {}\n", code_span(task.log));
    }
  }
}

// The steps once the branch moved: review, land, drop a unit.
void branch_steps(std::vector<std::string>& steps, const RunReport& r, bool stopped) {
  const std::string branch = detail::shell_quote(r.branch);
  const std::string id = detail::shell_quote(r.run_id);
  steps.push_back(fmt::format("Review the result with this report: {}",
                              code_span("git log --notes=smartspec " + branch)));
  if (!stopped) {
    steps.push_back(fmt::format("Land it on the current branch: {} or {}",
                                code_span("git merge --ff-only " + branch),
                                code_span("smartspec-batch land " + id)));
  }
  std::string committed;
  for (const auto& u : r.units) {
    if (u.status != UnitStatus::kCommitted && u.status != UnitStatus::kDoneEarlier) continue;
    if (!committed.empty()) committed += ", ";
    committed += unit_name(u.unit);
  }
  if (!committed.empty()) {
    steps.push_back(fmt::format(
        "Drop one unit's commit from the branch: {} (committed units: {})",
        code_span(fmt::format("smartspec-batch rollback {} --unit <name>", id)), committed));
  }
}

std::vector<std::string> next_steps(const RunReport& r, const Totals& t) {
  const bool stopped = !r.stopped_reason.empty() || r.exit_code == 3;
  std::vector<std::string> steps;
  if (stopped) {
    steps.push_back(fmt::format("Fix the cause, then resume where the run stopped: {}",
                                code_span(detail::run_command(r) + " --resume")));
  }
  if (t.failed + t.refused > 0 && !stopped) {
    steps.push_back(fmt::format("Fix the {} listed under \"Failed tasks\".",
                                count_noun(t.failed + t.refused, "failed task", "failed tasks")));
  }
  if (t.total - t.done - t.failed - t.refused - t.needs_agent - t.not_run > 0) {
    steps.push_back(fmt::format(
        "Check the tasks whose evidence does not verify: {}",
        code_span(fmt::format("smartspec-batch verify {} --rev {}",
                              detail::shell_quote(r.tasks_path.empty() ? "tasks.md" : r.tasks_path),
                              detail::shell_quote(r.branch)))));
  }
  for (const auto& u : r.units) {
    if (u.status == UnitStatus::kRolledBack && !u.failed_ref.empty()) {
      steps.push_back(
          fmt::format("Inspect what {} left before it was rolled back: {}", unit_name(u.unit),
                      code_span("git show --stat " + detail::shell_quote(u.failed_ref))));
    }
  }
  if (branch_moved(r)) branch_steps(steps, r, stopped);
  if (t.needs_agent > 0) {
    steps.push_back(fmt::format(
        "Run the {} with a coding agent: {}",
        count_noun(t.needs_agent, "task that needs an agent", "tasks that need an agent"),
        code_span(detail::run_command(r) + " --agent <command>")));
  }
  if (steps.empty()) steps.push_back("Nothing to do: no commit was made.");
  return steps;
}

void saved_to(std::string& md, const RunReport& r) {
  if (r.report_md_path.empty() && r.report_json_path.empty()) return;
  md += "\n---\n\nReport saved to ";
  if (!r.report_md_path.empty()) md += code_span(r.report_md_path);
  if (!r.report_md_path.empty() && !r.report_json_path.empty()) md += " and ";
  if (!r.report_json_path.empty()) md += code_span(r.report_json_path);
  md += ".\n";
}

}  // namespace

std::string render_markdown(const RunReport& r) {
  const Totals t = totals(r);
  std::string md;
  header(md, r);
  results(md, r, t);
  by_unit(md, r);
  md += render_timeline(r);
  verification(md, r);
  if (t.failed + t.refused > 0) failed_tasks(md, r);
  if (!r.warnings.empty()) {
    md += "\n## Warnings\n\n";
    for (const auto& w : r.warnings) put(md, "- {}\n", one_line(w));
  }
  md += "\n## Next steps\n\n";
  for (const auto& s : next_steps(r, t)) put(md, "- {}\n", s);
  saved_to(md, r);
  return md;
}
}  // namespace smartspec::report
