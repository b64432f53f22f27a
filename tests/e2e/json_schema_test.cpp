// Every `--json` output of every subcommand, in the states a user meets
// (fresh run, failed run, stopped, resumed, finished, no run at all), checked
// against its documented schema docs/json/<subcommand>.schema.json by a real
// JSON Schema validator (tests/json/validate.py, Debian's python3-jsonschema).
#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

// The validator's verdict on `doc` against docs/json/<schema>.schema.json:
// "" when valid, else what it printed.
std::string violations(const std::string& schema, const std::string& doc) {
  fs::path s = source_dir() / "docs" / "json" / (schema + ".schema.json");
  CmdResult v = run(
      {"/usr/bin/python3", (source_dir() / "tests" / "json" / "validate.py").string(), s.string()},
      ".", {}, doc);
  if (v.exit_code == 0) return "";
  return "exit " + std::to_string(v.exit_code) + ": " + v.err + "\nin:\n" + doc;
}

// Runs `args` (with --json) in `repo`, expects `exit_code`, validates stdout.
CmdResult expect_valid(const std::string& schema, std::vector<std::string> args,
                       const std::string& repo, int exit_code = 0) {
  args.push_back("--json");
  CmdResult r = run_tool(args, repo);
  EXPECT_EQ(r.exit_code, exit_code) << testing::PrintToString(args) << r.err;
  EXPECT_EQ(violations(schema, r.out), "") << schema << " for " << testing::PrintToString(args);
  return r;
}

TEST(JsonSchema, ValidatorRejectsWhatTheSchemasForbid) {
  // The schemas are strict: an extra key, a wrong enum value, a missing key fail.
  EXPECT_EQ(violations("clean", R"({"removed_worktrees": []})"), "");
  EXPECT_NE(violations("clean", R"({"removed_worktrees": [], "extra": 1})"), "");
  EXPECT_NE(violations("clean", R"({})"), "");
  EXPECT_NE(violations("rollback", R"({"run_id": "r", "action": "moved", "unit": "u",
      "branch": "smartspec/r", "old_tip": "0000000000000000000000000000000000000000",
      "new_tip": "0000000000000000000000000000000000000000",
      "undo_ref": "refs/smartspec/undo/r/1"})"),
            "");
  EXPECT_NE(violations("status", R"({"runs": [{"run_id": "r", "state": "stopped at x",
      "stopped_at": "x", "base": "", "tip": "", "branch": "smartspec/r", "units_done": 0,
      "units_total": 1, "failures": 0}]})"),
            "");
}

TEST(JsonSchema, NoRunAtAll) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  CmdResult s = expect_valid("status", {"status"}, repo);
  EXPECT_EQ(s.out.find("\"runs\": []") != std::string::npos ||
                s.out.find("\"runs\":[]") != std::string::npos,
            true)
      << s.out;
  expect_valid("clean", {"clean"}, repo);
  expect_valid("plan", {"plan", "--prompts-dir", pack_dir(), "--tasks", "tasks.md"}, repo);
  // A pack with nothing to run for the filter: the empty run document.
  CmdResult empty = expect_valid("run",
                                 {"run", "--prompts-dir", pack_dir(), "--tasks", "tasks.md",
                                  "--only-category", "missing_tests"},
                                 repo);
  EXPECT_NE(empty.out.find("\"units\": []"), std::string::npos) << empty.out;
  expect_valid("plan", {"run", "--dry-run", "--prompts-dir", pack_dir(), "--tasks", "tasks.md"},
               repo);
  // verify: the working tree (tasks not done: exit 1) and a commit's tree.
  expect_valid("verify", {"verify", "tasks.md"}, repo, 1);
  expect_valid("verify", {"verify", "tasks.md", "--rev", "HEAD"}, repo, 1);
  expect_valid("hook", {"hook", "install"}, repo);
  expect_valid("hook", {"hook", "install"}, repo);  // already installed
  expect_valid("hook", {"hook", "uninstall"}, repo);
  expect_valid("hook", {"hook", "uninstall"}, repo);  // nothing to remove
}

TEST(JsonSchema, FreshFinishedRunAndWhatFollows) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  CmdResult r =
      expect_valid("run", {"run", "--prompts-dir", pack_dir(), "--tasks", "tasks.md"}, repo);
  EXPECT_NE(r.out.find("\"exit_code\": 0"), std::string::npos) << r.out;
  expect_valid("report", {"show"}, repo);
  expect_valid("show", {"show", kRun}, repo);
  expect_valid("status", {"status"}, repo);
  CmdResult one = expect_valid("status", {"status", kRun}, repo);
  EXPECT_NE(one.out.find("\"state\": \"finished\""), std::string::npos) << one.out;
  // The pack does not cover every task of tasks.md: exit 1.
  expect_valid("verify", {"verify", "tasks.md", "--rev", kBranch}, repo, 1);
  expect_valid("rollback", {"rollback", kRun, "--unit", "missing_code"}, repo);
  expect_valid("rollback", {"rollback", kRun, "--undo"}, repo);
  expect_valid("rollback", {"rollback", kRun, "--unit", "naming_issue", "--revert"}, repo);
  expect_valid("status", {"status", kRun}, repo);
  CmdResult landed = expect_valid("land", {"land", kRun}, repo);
  EXPECT_NE(landed.out.find("\"already_landed\": false"), std::string::npos) << landed.out;
  // Landed again: nothing changes, and the document says so.
  CmdResult again = expect_valid("land", {"land", kRun}, repo);
  EXPECT_NE(again.out.find("\"already_landed\": true"), std::string::npos) << again.out;
  expect_valid("abort", {"abort", kRun}, repo);
  CmdResult aborted = expect_valid("status", {"status", kRun}, repo);
  EXPECT_NE(aborted.out.find("\"state\": \"aborted\""), std::string::npos) << aborted.out;
  expect_valid("status", {"status"}, repo);
  expect_valid("clean", {"clean"}, repo);
}

TEST(JsonSchema, ResumingAFinishedRunPrintsItsReport) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::vector<std::string> args{"run", "--prompts-dir", pack_dir(), "--tasks", "tasks.md"};
  expect_valid("run", args, repo);
  args.push_back("--resume");
  // Nothing to resume: exit 0, the note on stderr, and the run's report on
  // stdout, the same document `show --json` prints.
  CmdResult again = expect_valid("run", args, repo);
  EXPECT_NE(again.err.find("already finished"), std::string::npos) << again.err;
  CmdResult show = run_tool({"show", kRun, "--json"}, repo);
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(again.out, show.out);
  EXPECT_NE(again.out.find("\"run_id\": \"" + kRun + "\""), std::string::npos) << again.out;
}

TEST(JsonSchema, FailedStoppedAndResumedRuns) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string bad = bad_pack(dir);
  // Stopped early by the failure budget: exit 3.
  CmdResult stopped = expect_valid(
      "run", {"run", "--prompts-dir", bad, "--tasks", "tasks.md", "--max-failures", "1"}, repo, 3);
  CmdResult st = expect_valid("status", {"status", kRun}, repo);
  EXPECT_NE(st.out.find("\"state\": \"stopped\""), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"stopped_at\": \"missing_code\""), std::string::npos) << st.out;
  // Each unit's tasks carry their status from the last report.
  EXPECT_NE(st.out.find("\"status\": \"failed\""), std::string::npos) << st.out;
  expect_valid("status", {"status"}, repo);
  expect_valid("show", {"show", kRun}, repo);
  // Resumed with a larger budget: the run finishes with a failed task (exit 1).
  CmdResult resumed = expect_valid("run",
                                   {"run", "--prompts-dir", bad, "--tasks", "tasks.md", "--resume",
                                    "--force", "--max-failures", "5"},
                                   repo, 1);
  EXPECT_NE(resumed.out.find("\"resumed\": true"), std::string::npos) << resumed.out;
  expect_valid("show", {"show"}, repo);
  CmdResult fin = expect_valid("status", {"status", kRun}, repo);
  EXPECT_NE(fin.out.find("\"state\": \"finished\""), std::string::npos) << fin.out;
  expect_valid("abort", {"abort", kRun, "--delete-branch"}, repo);
  expect_valid("status", {"status"}, repo);
}

}  // namespace
}  // namespace smartspec::test
