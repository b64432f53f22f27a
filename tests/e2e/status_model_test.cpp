// Issue 19, defects 3, 4 and 5: one status per task derived from evidence
// (verified, applied_unverified, no_change, needs_agent, refused, failed),
// the same in the console, the report, the note and the exit code; a resumed
// run keeps the options and the task results of its earlier invocations.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kRun = "20260101_000000";

struct StatusModel : ::testing::Test {
  TempDir dir;
  std::string repo;
  fs::path pack;
  void SetUp() override {
    repo = make_inventory_repo(dir);
    pack = dir.path() / "packs" / kRun;
  }
  CmdResult run_pack(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args, repo);
  }
  // The report JSON of the run (from its run state), through `show --json`.
  std::string shown() { return run_tool({"show", kRun, "--json"}, repo).out; }
};

// The "status" value of task `id` in a report JSON.
std::string status_of(const std::string& json, const std::string& id) {
  auto at = json.find("\"id\": \"" + id + "\"");
  if (at == std::string::npos) return "<no task " + id + ">";
  auto s = json.find("\"status\": \"", at);
  if (s == std::string::npos) return "<no status>";
  s += 11;
  return json.substr(s, json.find('"', s) - s);
}

const char* kSupplier =
    "## Task 1: TSK-INV-003 - Supplier registry\n\n"
    "#### 1. Implementation File\n**Path:** `src/inventory/suppliers.py`\n\n"
    "**Implementation Template:**\n```python\nclass SupplierRegistry:\n    def __init__(self):\n"
    "        self.items = {}\n```\n\n"
    "#### 2. Test File\n**Path:** `tests/test_suppliers.py`\n\n"
    "**Test Template:**\n```python\nfrom inventory.suppliers import SupplierRegistry\n\n\n"
    "def test_supplier_registry():\n    assert SupplierRegistry().items == {}\n```\n";

std::string stock_report(const std::string& body) {
  return "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
         "`src/inventory/reports.py`\n\n"
         "**Implementation Template:**\n```python\n" +
         body + "```\n";
}

// Defect 3: an apply that writes nothing (the snippet is in the file, the
// evidence is not) is not a success.
TEST_F(StatusModel, ApplyThatChangesNothingIsNoChangeNotSuccess) {
  write(
      pack / "symbol_issue.md",
      "# Symbol Issues\n\n## Task 1: TSK-INV-007 - Audit log retention\n\n**Path:** "
      "`src/inventory/audit.py`\n"
      "**Missing Symbol:** `RetentionPolicy`\n\n**Implementation:**\n```python\n"
      "class AuditLog:\n    def record(self, event: str) -> None:\n        log.info(event)\n```\n");
  auto r = run_pack({"--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-007"), "no_change") << r.out;
  EXPECT_EQ(r.err.find("✅"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("every planned task succeeded"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no change"), std::string::npos) << r.err;
}

// Defect 3: --verify-after-each verifies units that commit nothing too.
TEST_F(StatusModel, VerifyAfterEachChecksAUnitThatCommitsNothing) {
  write(
      pack / "symbol_issue.md",
      "# Symbol Issues\n\n## Task 1: TSK-INV-007 - Audit log retention\n\n**Path:** "
      "`src/inventory/audit.py`\n"
      "**Missing Symbol:** `RetentionPolicy`\n\n**Implementation:**\n```python\n"
      "class AuditLog:\n    def record(self, event: str) -> None:\n        log.info(event)\n```\n");
  auto r = run_pack({"--verify-after-each"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("not verified after the unit: TSK-INV-007"), std::string::npos) << r.out;
}

// Defect 3: an agent that changes nothing is not a success.
TEST_F(StatusModel, AgentThatChangesNothingIsNoChange) {
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kSupplier);
  auto r = run_pack({"--agent", "true", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-003"), "no_change") << r.out;
}

// Defect 3: applied code whose evidence does not verify is reported as such;
// code whose evidence verifies is verified, and only that exits 0.
TEST_F(StatusModel, AppliedButUnverifiedIsNotVerified) {
  write(pack / "missing_code.md", stock_report("class Report:\n    size = 0\n"));
  auto r = run_pack({"--json", "--run-id", "unverified"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(status_of(r.out, "TSK-INV-005"), "applied_unverified") << r.out;
  EXPECT_NE(r.out.find("\"applied_unverified\": 1"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("applied, not verified"), std::string::npos) << r.err;
  // The note says the same.
  std::string note = git(repo, {"notes", "--ref=smartspec", "show", "smartspec/unverified"});
  EXPECT_NE(note.find("applied, not verified"), std::string::npos) << note;

  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = 0\n"));
  auto ok = run_pack({"--json", "--run-id", "verified"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(status_of(ok.out, "TSK-INV-005"), "verified") << ok.out;
  EXPECT_NE(ok.out.find("\"verified\": 1"), std::string::npos) << ok.out;
}

// Defect 4: a resumed run reports the earlier invocation's failed task as
// failed, and exits 1.
TEST_F(StatusModel, ResumeKeepsEarlierTaskResults) {
  write(pack / "not_implemented.md",
        std::string("# Not Implemented\n\n") + kSupplier +
            "\n## Task 2: TSK-INV-012 - Task without evidence yet\n\n"
            "#### 1. Implementation File\n**Path:** `src/inventory/labels.py`\n\n"
            "**Implementation Template:**\n```python\nclass Labels:\n    size = (1,\n```\n");
  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = [\n"));
  auto first = run_pack({"--max-failures", "2"});
  ASSERT_EQ(first.exit_code, 3) << first.out << first.err;
  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = 0\n"));
  auto resumed = run_pack({"--resume", "--force"});
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("3 tasks: 2 verified"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("1 failed"), std::string::npos) << resumed.out;
  std::string json = shown();
  EXPECT_EQ(status_of(json, "TSK-INV-012"), "failed") << json;
  EXPECT_EQ(status_of(json, "TSK-INV-003"), "verified") << json;
  EXPECT_EQ(status_of(json, "TSK-INV-005"), "verified") << json;
  EXPECT_NE(json.find("\"exit_code\": 1"), std::string::npos) << json;
}

// Defect 5: --resume restores every option of the run; the printed hint
// reproduces it; a conflicting option is refused unless --force.
TEST_F(StatusModel, ResumeRestoresTheRunsOptions) {
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kSupplier);
  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = 0\n"));
  std::string agent = dir.str() + "/agent.sh";
  std::string marker = dir.str() + "/fail";
  write(agent,
        "mkdir -p agent_notes\n"
        "echo \"$SMARTSPEC_TASK_ID\" > agent_notes/$SMARTSPEC_TASK_ID.md\n"
        "if [ \"$SMARTSPEC_TASK_ID\" = TSK-INV-005 ] && [ -f " +
            marker + " ]; then exit 5; fi\n");
  write(marker, "");
  auto first = run_pack({"--agent", "sh " + agent, "--max-failures", "1", "--verify-cmd", "true"});
  ASSERT_EQ(first.exit_code, 3) << first.out << first.err;
  // The hint names every option of the run.
  auto at = first.out.find("resume with: ");
  ASSERT_NE(at, std::string::npos) << first.out;
  std::string hint = first.out.substr(at + 13, first.out.find('\n', at) - at - 13);
  EXPECT_NE(hint.find("--agent 'sh " + agent + "'"), std::string::npos) << hint;
  EXPECT_NE(hint.find("--max-failures 1"), std::string::npos) << hint;
  EXPECT_NE(hint.find("--verify-cmd true"), std::string::npos) << hint;
  EXPECT_NE(hint.find("--resume"), std::string::npos) << hint;

  // A conflicting option: exit 2, nothing done.
  std::string tip = git(repo, {"rev-parse", std::string("smartspec/") + kRun});
  auto conflict = run_pack({"--resume", "--verify-cmd", "false"});
  EXPECT_EQ(conflict.exit_code, 2) << conflict.out << conflict.err;
  EXPECT_NE(conflict.err.find("--verify-cmd"), std::string::npos) << conflict.err;
  EXPECT_EQ(git(repo, {"rev-parse", std::string("smartspec/") + kRun}), tip);

  // Without any option the run continues as it started: in agent mode.
  fs::remove(marker);
  auto resumed = run_pack({"--resume", "--json"});
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;  // the notes verify nothing
  EXPECT_NE(resumed.out.find("\"mode\": \"agent\""), std::string::npos) << resumed.out;
  const std::string branch = std::string("smartspec/") + kRun;
  EXPECT_EQ(git(repo, {"diff-tree", "--no-commit-id", "--name-only", "-r", branch}),
            "agent_notes/TSK-INV-005.md");
}

TEST_F(StatusModel, TheResumeHintReproducesTheRun) {
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kSupplier);
  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = [\n"));
  auto first =
      run_pack({"--max-failures", "1", "--no-evidence-hooks", "--skip-category", "critical"});
  ASSERT_EQ(first.exit_code, 3) << first.out << first.err;
  auto at = first.out.find("resume with: ");
  ASSERT_NE(at, std::string::npos) << first.out;
  std::string hint = first.out.substr(at + 13, first.out.find('\n', at) - at - 13);
  ASSERT_EQ(hint.rfind("smartspec-batch ", 0), 0u) << hint;
  write(pack / "missing_code.md", stock_report("class StockReport:\n    size = 0\n"));
  // The pack changed: the hint plus --force, run through a shell as a user would.
  auto again = sh("'" + binary() + "' " + hint.substr(16) + " --force", repo);
  EXPECT_EQ(again.exit_code, 0) << hint << "\n" << again.out << again.err;
  EXPECT_NE(again.out.find("2 tasks: 2 verified"), std::string::npos) << again.out;
}

// A finished run asked to resume says so, shows its status, exits 0.
TEST_F(StatusModel, ResumingAFinishedRunShowsItsStatus) {
  write(pack / "missing_code.md", stock_report("class Report:\n    size = 0\n"));
  ASSERT_EQ(run_pack().exit_code, 1);
  auto again = run_pack({"--resume"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("already finished"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("1 task: 0 verified, 1 applied, not verified"), std::string::npos)
      << again.out;
}

}  // namespace
}  // namespace smartspec::test
