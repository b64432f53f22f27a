// The report's building blocks and edge cases, checked with exact text.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "report/format.hpp"
#include "report/scenarios.hpp"
#include "smartspec/report/report.hpp"

namespace smartspec::report {
namespace {

TEST(ReportPercent, RoundsDownLikeTheSeed) {
  EXPECT_EQ(percent(2, 12), 16);
  EXPECT_EQ(percent(10, 12), 83);
  EXPECT_EQ(percent(12, 12), 100);
  EXPECT_EQ(percent(0, 12), 0);
  EXPECT_EQ(percent(1, 3), 33);
  EXPECT_EQ(percent(2, 3), 66);
}

TEST(ReportPercent, WholeOfZeroIsZeroPercent) {
  EXPECT_EQ(percent(0, 0), 0);
  EXPECT_EQ(percent(5, 0), 0);
  EXPECT_EQ(percent(1, -1), 0);
}

TEST(ReportDuration, Formats) {
  EXPECT_EQ(format_duration(0), "0.0s");
  EXPECT_EQ(format_duration(4.25), "4.2s");
  EXPECT_EQ(format_duration(59.94), "59.9s");
  EXPECT_EQ(format_duration(60), "1m 00s");
  EXPECT_EQ(format_duration(125.9), "2m 05s");
  EXPECT_EQ(format_duration(3909.5), "1h 05m 09s");
  EXPECT_EQ(format_duration(-3), "0.0s");
}

TEST(ReportStatusNames, AreTheSchemaValues) {
  EXPECT_EQ(task_status_name(TaskStatus::kVerified), "verified");
  EXPECT_EQ(task_status_name(TaskStatus::kAppliedUnverified), "applied_unverified");
  // An executor's "ran without error" that nothing classified never claims more.
  EXPECT_EQ(task_status_name(TaskStatus::kSucceeded), "applied_unverified");
  EXPECT_EQ(task_status_name(TaskStatus::kNoChange), "no_change");
  EXPECT_EQ(task_status_name(TaskStatus::kNeedsAgent), "needs_agent");
  EXPECT_EQ(task_status_name(TaskStatus::kRefused), "refused");
  EXPECT_EQ(task_status_name(TaskStatus::kFailed), "failed");
  EXPECT_EQ(task_status_name(TaskStatus::kAlreadyDone), "already_done");
  EXPECT_EQ(task_status_name(TaskStatus::kNotRun), "not_run");
  for (auto s : {TaskStatus::kVerified, TaskStatus::kAppliedUnverified, TaskStatus::kNoChange,
                 TaskStatus::kNeedsAgent, TaskStatus::kRefused, TaskStatus::kFailed,
                 TaskStatus::kAlreadyDone, TaskStatus::kNotRun})
    EXPECT_EQ(task_status_from_name(task_status_name(s)), s);
  EXPECT_EQ(unit_status_name(UnitStatus::kCommitted), "committed");
  EXPECT_EQ(unit_status_name(UnitStatus::kNothingToCommit), "nothing_to_commit");
  EXPECT_EQ(unit_status_name(UnitStatus::kRolledBack), "rolled_back");
  EXPECT_EQ(unit_status_name(UnitStatus::kNotRun), "not_run");
  EXPECT_EQ(unit_status_name(UnitStatus::kDoneEarlier), "done_earlier");
}

TEST(ReportTotals, CountsEveryStatus) {
  Totals t = totals(test::rolled_back());
  EXPECT_EQ(t.total, 4);
  EXPECT_EQ(t.verified, 1);
  EXPECT_EQ(t.failed, 1);
  EXPECT_EQ(t.needs_agent, 0);
  EXPECT_EQ(t.already_done, 0);
  EXPECT_EQ(t.not_run, 2);
  EXPECT_EQ(t.done, 1);
  t = totals(test::resumed());
  EXPECT_EQ(t.total, 3);
  EXPECT_EQ(t.verified, 2);
  EXPECT_EQ(t.already_done, 1);
  EXPECT_EQ(t.done, 3);
}

TEST(ReportTotals, OnlyVerifiedOrEvidenceFreeChangesAreDone) {
  TaskReport t;
  t.status = TaskStatus::kAppliedUnverified;
  t.has_evidence = true;
  EXPECT_FALSE(task_done(t));  // its evidence does not verify
  t.has_evidence = false;
  EXPECT_TRUE(task_done(t));  // changed and checked, nothing to verify
  t.status = TaskStatus::kNoChange;
  EXPECT_FALSE(task_done(t));
  t.status = TaskStatus::kSucceeded;  // never classified
  EXPECT_FALSE(task_done(t));
  t.status = TaskStatus::kVerified;
  EXPECT_TRUE(task_done(t));
}

TEST(ReportHelpers, OneLineDropsControlCharacters) {
  EXPECT_EQ(detail::one_line("a\nb\r\tc\x1b[31md\x7f"), "a b  c\\x1b[31md\\x7f");
  // C1 CSI and a bidirectional override are escaped too (issue 15 item 8).
  EXPECT_EQ(detail::one_line("x\xc2\x9b"
                             "2Jy\xe2\x80\xae"),
            "x\\u{009b}2Jy\\u{202e}");
}

TEST(ReportHelpers, CodeSpanSurvivesBackticks) {
  EXPECT_EQ(detail::code_span("src/a.py"), "`src/a.py`");
  EXPECT_EQ(detail::code_span("a`b"), "``a`b``");
  EXPECT_EQ(detail::code_span("`x`"), "`` `x` ``");
}

TEST(ReportHelpers, ShellQuote) {
  EXPECT_EQ(detail::shell_quote(".spec/prompts/2026_01"), ".spec/prompts/2026_01");
  EXPECT_EQ(detail::shell_quote("my pack"), "'my pack'");
  EXPECT_EQ(detail::shell_quote("it's"), "'it'\"'\"'s'");  // shlex.quote's form, as tasks.md's
  EXPECT_EQ(detail::shell_quote(""), "''");
}

TEST(ReportHelpers, RunCommandNamesTheRunIdWhenTheDirectoryDoesNot) {
  RunReport r = test::base_run();
  EXPECT_EQ(detail::run_command(r),
            "smartspec-batch run --prompts-dir .spec/prompts/20260101_100000 --tasks tasks.md");
  r.prompts_dir = ".spec/prompts/20260101_100000/";
  EXPECT_EQ(detail::run_command(r),
            "smartspec-batch run --prompts-dir .spec/prompts/20260101_100000/ --tasks tasks.md");
  r.prompts_dir = ".spec/prompts/latest";
  r.tasks_path = "";
  EXPECT_EQ(detail::run_command(r),
            "smartspec-batch run --prompts-dir .spec/prompts/latest --run-id 20260101_100000");
  // The engine's command (every option of the run) wins when given.
  r.command = "smartspec-batch run --prompts-dir p --tasks t --agent 'claude -p' --max-failures 1";
  EXPECT_EQ(detail::run_command(r), r.command);
}

// An empty run (no unit planned) renders without dividing by zero.
TEST(ReportMarkdown, EmptyRun) {
  RunReport r = test::base_run();
  r.report_md_path.clear();
  r.report_json_path.clear();
  r.duration_seconds = 0.5;
  const std::string md = render_markdown(r);
  EXPECT_EQ(md,
            "# Batch Execution Report — 20260101_100000\n"
            "\n"
            "- **Started:** 2026-01-01T10:00:00+01:00\n"
            "- **Completed:** 2026-01-01T10:02:05+01:00\n"
            "- **Duration:** 0.5s\n"
            "- **Mode:** apply\n"
            "- **Branch:** `smartspec/20260101_100000` — base `1111111`\n"
            "- **Prompt pack:** `.spec/prompts/20260101_100000` (digest "
            "`9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`)\n"
            "- **Tasks:** `tasks.md`\n"
            "\n"
            "## Results\n"
            "\n"
            "- **Total tasks:** 0\n"
            "- **Verified:** 0 (0%)\n"
            "- **Applied, not verified:** 0 (0%)\n"
            "- **No change:** 0 (0%)\n"
            "- **Needs an agent:** 0 (0%)\n"
            "- **Refused:** 0 (0%)\n"
            "- **Failed:** 0 (0%)\n"
            "- **Already done:** 0 (0%)\n"
            "- **Exit code:** 0 — every planned task is verified\n"
            "\n"
            "## By unit\n"
            "\n"
            "No unit was planned.\n"
            "\n"
            "## Next steps\n"
            "\n"
            "- Nothing to do: no commit was made.\n");
}

TEST(ReportMarkdown, VerificationOfZeroTasks) {
  RunReport r = test::base_run();
  r.after = VerifyFigures{0, 0, 0};
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("\n## Verification\n\n"
                    "| | Total | Verified | Not verified |\n"
                    "| --- | ---: | ---: | ---: |\n"
                    "| After | 0 | 0 (0%) | 0 (0%) |\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("| Before"), std::string::npos);
}

// Text from a pack cannot break the markdown structure.
TEST(ReportMarkdown, UntrustedTextStaysOnItsLine) {
  RunReport r = test::base_run();
  UnitReport u = test::unit(Unit::kMissingCode, UnitStatus::kNothingToCommit);
  TaskReport t = test::task("T-1", "two\nlines", TaskStatus::kFailed);
  t.error = "bad\n## Not a heading";
  u.tasks.push_back(t);
  r.units = {u};
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("- ❌ **T-1**: two lines — bad ## Not a heading\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("\n## Not a heading"), std::string::npos);
}

TEST(ReportMarkdown, VerifyOutputWithBackticksGetsALongerFence) {
  RunReport r = test::rolled_back();
  r.units[1].verify_cmd_output = "```\ninner\n```";
  const std::string md = render_markdown(r);
  EXPECT_NE(md.find("````text\n```\ninner\n```\n````\n"), std::string::npos) << md;
}

TEST(ReportCheckpoint, SeedShapePlusCommitAndRef) {
  CheckpointMirror c;
  c.timestamp = "2026-01-01T10:01:00+01:00";
  c.prompts_dir = ".spec/prompts/20260101_100000";
  c.completed_categories = {"critical", "not_implemented"};
  c.current_category = "missing_code";
  c.current_task = "TSK-INV-007";
  c.total_tasks = 12;
  c.failures = 1;
  c.commit = test::kCommitB;
  c.ref = "refs/smartspec/checkpoints/20260101_100000";
  EXPECT_EQ(render_checkpoint(c),
            "{\n"
            "  \"timestamp\": \"2026-01-01T10:01:00+01:00\",\n"
            "  \"prompts_dir\": \".spec/prompts/20260101_100000\",\n"
            "  \"completed_categories\": [\n"
            "    \"critical\",\n"
            "    \"not_implemented\"\n"
            "  ],\n"
            "  \"current_category\": \"missing_code\",\n"
            "  \"current_task\": \"TSK-INV-007\",\n"
            "  \"total_tasks\": 12,\n"
            "  \"failures\": 1,\n"
            "  \"commit\": \"b2c3d4e5f60718293a4b5c6d7e8f901234567890\",\n"
            "  \"ref\": \"refs/smartspec/checkpoints/20260101_100000\"\n"
            "}\n");
}

TEST(ReportCheckpoint, EmptyCurrentIsNull) {
  CheckpointMirror c;
  c.timestamp = "2026-01-01T10:01:00+01:00";
  c.prompts_dir = "p";
  c.commit = test::kCommitA;
  c.ref = "refs/smartspec/checkpoints/x";
  const std::string json = render_checkpoint(c);
  EXPECT_EQ(json,
            "{\n"
            "  \"timestamp\": \"2026-01-01T10:01:00+01:00\",\n"
            "  \"prompts_dir\": \"p\",\n"
            "  \"completed_categories\": [],\n"
            "  \"current_category\": null,\n"
            "  \"current_task\": null,\n"
            "  \"total_tasks\": 0,\n"
            "  \"failures\": 0,\n"
            "  \"commit\": \"a1b2c3d4e5f60718293a4b5c6d7e8f9012345678\",\n"
            "  \"ref\": \"refs/smartspec/checkpoints/x\"\n"
            "}\n");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);
  EXPECT_TRUE(doc["current_task"].is_null());
}

}  // namespace
}  // namespace smartspec::report
