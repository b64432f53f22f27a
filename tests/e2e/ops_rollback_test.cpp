// `rollback` of one unit (drop, revert, undo) checked with the real git.
#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

std::string subjects(const std::string& repo, const std::string& range) {
  return git(repo, {"log", "--format=%s", range});
}

TEST(OpsRollback, DropsAMiddleUnitAndUndoRestoresIt) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string base = rev(repo, "main");
  std::string old_tip = rev(repo, kBranch);
  std::string user = user_state(repo);

  CmdResult r = run_tool({"rollback", kRun, "--unit", "missing_code"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string new_tip = rev(repo, kBranch);
  EXPECT_EQ(r.out, "unit missing_code removed from " + kBranch + ": now at " +
                       new_tip.substr(0, 7) + " (was " + old_tip.substr(0, 7) +
                       ", kept as refs/smartspec/undo/" + kRun + "/1)\n");
  EXPECT_EQ(subjects(repo, base + ".." + kBranch),
            "smartspec(naming_issue): 1 task\n"
            "smartspec(content_issue): 1 task\n"
            "smartspec(symbol_issue): 1 task\n"
            "smartspec(not_implemented): 2 tasks");
  // The re-applied commits keep their trailers and authors.
  EXPECT_EQ(git(repo, {"log", "--format=%(trailers:key=Smartspec-Unit,valueonly,separator=)",
                       base + ".." + kBranch}),
            "naming_issue\ncontent_issue\nsymbol_issue\nnot_implemented");
  EXPECT_EQ(git(repo, {"log", "--format=%(trailers:key=Smartspec-Run,valueonly,separator=)", "-1",
                       kBranch}),
            kRun);
  EXPECT_EQ(git(repo, {"log", "--format=%an <%ae>", "-1", kBranch}),
            git(repo, {"log", "--format=%an <%ae>", "-1", old_tip}));
  // Its file is gone from the result; the others are there.
  EXPECT_EQ(git(repo, {"ls-tree", "--name-only", kBranch, "src/inventory/reports.py"}), "");
  EXPECT_EQ(git(repo, {"ls-tree", "--name-only", kBranch, "src/inventory/suppliers.py"}),
            "src/inventory/suppliers.py");
  EXPECT_EQ(rev(repo, "refs/smartspec/checkpoints/" + kRun), new_tip);
  EXPECT_EQ(rev(repo, "refs/smartspec/undo/" + kRun + "/1"), old_tip);
  std::string note = git(repo, {"notes", "--ref=smartspec", "show", kBranch});
  EXPECT_NE(note.find("# Batch Execution Report"), std::string::npos);
  EXPECT_NE(note.find("- unit `missing_code` removed by `smartspec-batch rollback`"),
            std::string::npos);
  git(repo, {"fsck", "--strict", "--no-progress"});
  EXPECT_EQ(user_state(repo), user);

  CmdResult u = run_tool({"rollback", kRun, "--undo"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(rev(repo, kBranch), old_tip);
  EXPECT_EQ(rev(repo, "refs/smartspec/checkpoints/" + kRun), old_tip);
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/smartspec/undo/"}), "");
  CmdResult again = run_tool({"rollback", kRun, "--undo"}, repo);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.err, "smartspec-batch: error: run " + kRun + " has no rollback to undo\n");
}

TEST(OpsRollback, ConflictingLaterUnitRefusesAndChangesNothing) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string refs = all_refs(repo);
  std::string content = rev(repo, ":/smartspec\\(content_issue\\)").substr(0, 7);
  // symbol_issue and content_issue both add to src/inventory/audit.py.
  CmdResult r = run_tool({"rollback", kRun, "--unit", "symbol_issues"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: cannot drop unit symbol_issue: unit content_issue (" +
                       content +
                       ") conflicts without it in src/inventory/audit.py; nothing changed (use "
                       "--revert to add a revert commit)\n");
  EXPECT_EQ(all_refs(repo), refs);
}

TEST(OpsRollback, RevertAddsACommitOnTop) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string old_tip = rev(repo, kBranch);
  CmdResult r = run_tool({"rollback", kRun, "--unit", "missing_code", "--revert"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(rev(repo, kBranch + "^"), old_tip);
  EXPECT_EQ(git(repo, {"log", "--format=%s", "-1", kBranch}), "smartspec(missing_code): revert");
  EXPECT_EQ(git(repo, {"ls-tree", "--name-only", kBranch, "src/inventory/reports.py"}), "");
  // Nothing else changed: the result minus the unit equals the tip's tree without that file.
  EXPECT_EQ(git(repo, {"diff", "--name-status", old_tip, kBranch}), "D\tsrc/inventory/reports.py");
  EXPECT_NE(git(repo, {"notes", "--ref=smartspec", "show", kBranch}).find("reverted by"),
            std::string::npos);
  git(repo, {"fsck", "--strict", "--no-progress"});
  CmdResult u = run_tool({"rollback", kRun, "--undo"}, repo);
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(rev(repo, kBranch), old_tip);
}

TEST(OpsRollback, BadRequestsAreRefused) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  std::string refs = all_refs(repo);
  CmdResult unknown = run_tool({"rollback", kRun, "--unit", "bogus"}, repo);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "smartspec-batch: error: unknown unit 'bogus' (valid: critical, not_implemented, "
            "missing_tests, missing_code, symbol_issue, content_issue, naming_issue)\n");
  CmdResult absent = run_tool({"rollback", kRun, "--unit", "missing_code"}, repo);
  EXPECT_EQ(absent.exit_code, 2);
  EXPECT_EQ(absent.err, "smartspec-batch: error: unit missing_code has no commit on " + kBranch +
                            " (units there: not_implemented)\n");
  CmdResult neither = run_tool({"rollback", kRun}, repo);
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_EQ(neither.err,
            "smartspec-batch: error: rollback needs exactly one of --unit NAME and --undo\n");
  EXPECT_EQ(all_refs(repo), refs);
}

}  // namespace
}  // namespace smartspec::test
