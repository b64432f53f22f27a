// The run report as markdown: what a person reads, also the git note. A pure
// function of its input.
#include <algorithm>
#include <cstdint>
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

std::string with_percent(int n, int total) {
  return std::to_string(n) + " (" + std::to_string(percent(n, total)) + "%)";
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
      return "committed " + code_span(short_id(u.commit));
    case UnitStatus::kNothingToCommit:
      return "nothing to commit";
    case UnitStatus::kRolledBack:
      return "rolled back";
    case UnitStatus::kNotRun:
      return "not run";
    case UnitStatus::kDoneEarlier:
      return u.commit.empty() ? "done earlier"
                              : "done earlier (" + code_span(short_id(u.commit)) + ")";
  }
  return "not run";
}

// What follows the title on a task's line in "By unit".
std::string task_suffix(const TaskReport& t) {
  auto why = [&](std::string_view what) {
    return t.error.empty() ? " — " + std::string(what)
                           : " — " + std::string(what) + " (" + one_line(t.error) + ")";
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
  std::string out = fence + std::string(info) + "\n" + std::string(body);
  if (!body.empty() && body.back() != '\n') out += "\n";
  return out + fence + "\n";
}

void verify_row(std::string& md, std::string_view label, const VerifyFigures& v) {
  md += "| " + std::string(label) + " | " + std::to_string(v.total) + " | " +
        with_percent(v.verified, v.total) + " | " + with_percent(v.not_verified, v.total) + " |\n";
}

bool branch_moved(const RunReport& r) { return !r.tip.empty() && r.tip != r.base; }

}  // namespace

std::string render_markdown(const RunReport& r) {
  const Totals t = totals(r);
  std::string md;
  md += "# Batch Execution Report — " + one_line(r.run_id) + "\n\n";

  md += "- **Started:** " + one_line(r.started) + "\n";
  md += "- **Completed:** " + one_line(r.completed) + "\n";
  md += "- **Duration:** " + format_duration(r.duration_seconds) + "\n";
  if (r.resumed) md += "- **Resumed:** yes\n";
  if (r.dry_run) md += "- **Dry run:** yes (nothing was changed)\n";
  md += "- **Mode:** " + one_line(r.mode) + "\n";
  md += "- **Branch:** " + code_span(r.branch) + " — base " + code_span(short_id(r.base));
  if (!r.tip.empty()) md += ", tip " + code_span(short_id(r.tip));
  md += "\n";
  md += "- **Prompt pack:** " + code_span(r.prompts_dir);
  if (!r.pack_digest.empty()) md += " (digest " + code_span(r.pack_digest) + ")";
  md += "\n";
  if (!r.tasks_path.empty()) md += "- **Tasks:** " + code_span(r.tasks_path) + "\n";

  md += "\n## Results\n\n";
  md += "- **Total tasks:** " + std::to_string(t.total) + "\n";
  md += "- **Verified:** " + with_percent(t.verified, t.total) + "\n";
  md += "- **Applied, not verified:** " + with_percent(t.applied_unverified, t.total) + "\n";
  md += "- **No change:** " + with_percent(t.no_change, t.total) + "\n";
  md += "- **Needs an agent:** " + with_percent(t.needs_agent, t.total) + "\n";
  md += "- **Refused:** " + with_percent(t.refused, t.total) + "\n";
  md += "- **Failed:** " + with_percent(t.failed, t.total) + "\n";
  md += "- **Already done:** " + with_percent(t.already_done, t.total) + "\n";
  if (t.not_run > 0) md += "- **Not run:** " + with_percent(t.not_run, t.total) + "\n";
  if (!r.stopped_reason.empty()) md += "- **Stopped:** " + one_line(r.stopped_reason) + "\n";
  md += "- **Exit code:** " + std::to_string(r.exit_code) + " — " + detail::run_exit_meaning(r) +
        "\n";

  md += "\n## By unit\n";
  if (r.units.empty()) md += "\nNo unit was planned.\n";
  for (const auto& u : r.units) {
    md += "\n### " + std::string(unit_name(u.unit)) + " (priority " + std::to_string(u.priority) +
          ") — " + unit_state(u) + "\n\n";
    if (u.status == UnitStatus::kRolledBack) {
      md += "Rolled back: " +
            (u.reason.empty() ? std::string("no reason given") : one_line(u.reason));
      if (!u.failed_ref.empty()) md += ". Partial work kept at " + code_span(u.failed_ref);
      md += ".\n\n";
    }
    if (!u.verify_cmd_output.empty()) {
      md += "Output of `--verify-cmd`:\n\n" + fenced(u.verify_cmd_output, "text") + "\n";
    }
    if (u.tasks.empty()) md += "No task.\n";
    for (const auto& task : u.tasks) {
      md += "- " + std::string(detail::status_marker(task.status)) + " **" + one_line(task.id) +
            "**: " + one_line(task.title) + task_suffix(task) + "\n";
      if (!task.files_created.empty()) md += "  - created: " + code_list(task.files_created) + "\n";
      if (!task.files_modified.empty()) {
        md += "  - modified: " + code_list(task.files_modified) + "\n";
      }
      for (const auto& [from, to] : task.files_renamed) {
        md += "  - renamed: " + code_span(from) + " → " + code_span(to) + "\n";
      }
      for (const auto& n : task.notes) md += "  - note: " + one_line(n) + "\n";
      if (task.attempts > 0) md += "  - agent attempts: " + std::to_string(task.attempts) + "\n";
      if (!task.log.empty()) md += "  - log: " + code_span(task.log) + "\n";
    }
  }

  md += render_timeline(r);

  if (r.before || r.after) {
    md += "\n## Verification\n\n";
    md += "| | Total | Verified | Not verified |\n";
    md += "| --- | ---: | ---: | ---: |\n";
    if (r.before) verify_row(md, "Before", *r.before);
    if (r.after) verify_row(md, "After", *r.after);
  }

  if (t.failed + t.refused > 0) {
    md += "\n## Failed tasks\n";
    for (const auto& u : r.units) {
      for (const auto& task : u.tasks) {
        if (task.status != TaskStatus::kFailed && task.status != TaskStatus::kRefused) continue;
        md += "\n### " + one_line(task.id) + ": " + one_line(task.title) + "\n\n";
        md += "- **Unit:** " + std::string(unit_name(u.unit)) + "\n";
        md += "- **Error:** " + (task.error.empty() ? "(none given)" : one_line(task.error)) + "\n";
        if (!task.file.empty()) {
          md += "- **File:** " + code_span(task.file);
          if (task.line > 0) md += ", line " + std::to_string(task.line);
          md += "\n";
        }
        if (!task.suggested_fix.empty()) {
          md += "- **Suggested fix:** " + one_line(task.suggested_fix) + "\n";
        }
        if (!task.log.empty()) md += "- **Log:** " + code_span(task.log) + "\n";
      }
    }
  }

  if (!r.warnings.empty()) {
    md += "\n## Warnings\n\n";
    for (const auto& w : r.warnings) md += "- " + one_line(w) + "\n";
  }

  md += "\n## Next steps\n\n";
  const std::string branch = detail::shell_quote(r.branch);
  const std::string id = detail::shell_quote(r.run_id);
  const bool stopped = !r.stopped_reason.empty() || r.exit_code == 3;
  std::vector<std::string> steps;
  if (stopped) {
    steps.push_back("Fix the cause, then resume where the run stopped: " +
                    code_span(detail::run_command(r) + " --resume"));
  }
  if (t.failed + t.refused > 0 && !stopped) {
    steps.push_back("Fix the " + count_noun(t.failed + t.refused, "failed task", "failed tasks") +
                    " listed under \"Failed tasks\".");
  }
  if (t.total - t.done - t.failed - t.refused - t.needs_agent - t.not_run > 0) {
    steps.push_back(
        "Check the tasks whose evidence does not verify: " +
        code_span("smartspec-batch verify " +
                  detail::shell_quote(r.tasks_path.empty() ? "tasks.md" : r.tasks_path) +
                  " --rev " + branch));
  }
  for (const auto& u : r.units) {
    if (u.status == UnitStatus::kRolledBack && !u.failed_ref.empty()) {
      steps.push_back("Inspect what " + std::string(unit_name(u.unit)) +
                      " left before it was rolled back: " +
                      code_span("git show --stat " + detail::shell_quote(u.failed_ref)));
    }
  }
  if (branch_moved(r)) {
    steps.push_back("Review the result with this report: " +
                    code_span("git log --notes=smartspec " + branch));
    if (!stopped) {
      steps.push_back(
          "Land it on the current branch: " + code_span("git merge --ff-only " + branch) + " or " +
          code_span("smartspec-batch land " + id));
    }
    std::string committed;
    for (const auto& u : r.units) {
      if (u.status != UnitStatus::kCommitted && u.status != UnitStatus::kDoneEarlier) continue;
      if (!committed.empty()) committed += ", ";
      committed += unit_name(u.unit);
    }
    if (!committed.empty()) {
      steps.push_back("Drop one unit's commit from the branch: " +
                      code_span("smartspec-batch rollback " + id + " --unit <name>") +
                      " (committed units: " + committed + ")");
    }
  }
  if (t.needs_agent > 0) {
    steps.push_back(
        "Run the " +
        count_noun(t.needs_agent, "task that needs an agent", "tasks that need an agent") +
        " with a coding agent: " + code_span(detail::run_command(r) + " --agent <command>"));
  }
  if (steps.empty()) steps.push_back("Nothing to do: no commit was made.");
  for (const auto& s : steps) md += "- " + s + "\n";

  if (!r.report_md_path.empty() || !r.report_json_path.empty()) {
    md += "\n---\n\nReport saved to ";
    if (!r.report_md_path.empty()) md += code_span(r.report_md_path);
    if (!r.report_md_path.empty() && !r.report_json_path.empty()) md += " and ";
    if (!r.report_json_path.empty()) md += code_span(r.report_json_path);
    md += ".\n";
  }
  return md;
}
}  // namespace smartspec::report
