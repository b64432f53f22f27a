// Runs that verify, add evidence hooks, tick tasks, check syntax and run a
// verification command (issues 4 and 5), on real repositories.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

struct RunVerify : ::testing::Test {
  TempDir dir;
  std::string repo;
  fs::path pack;
  void SetUp() override {
    repo = make_inventory_repo(dir);
    pack = dir.path() / "packs" / "20250303_000000";
  }
  CmdResult run_pack(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args, repo);
  }
  std::string at_tip(const std::string& path) {
    return git(repo, {"show", "smartspec/20250303_000000:" + path});
  }
};

// TSK-INV-012 has no evidence line in tasks.md; the pack gives it code and a test.
const char* kTask12 =
    "## Task 1: TSK-INV-012 - Task without evidence yet\n\n"
    "#### 1. Implementation File\n**Path:** `src/inventory/labels.py`\n\n"
    "**Implementation Template:**\n```python\nclass LabelPrinter:\n    def render(self, sku):\n    "
    "    return f\"[{sku}]\"\n```\n\n"
    "#### 2. Test File\n**Path:** `tests/test_labels.py`\n\n"
    "**Test Template:**\n```python\nfrom inventory.labels import LabelPrinter\n\n\ndef "
    "test_render():\n    assert LabelPrinter().render(\"A\") == \"[A]\"\n```\n";

TEST_F(RunVerify, EvidenceHooksAreAddedOnceAndReadBackByTheVerifier) {
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kTask12);
  auto r = run_pack({"--mark-done"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string tasks = at_tip("tasks.md");
  EXPECT_NE(tasks.find("- [x] TSK-INV-012 Task without evidence yet\n"
                       "  evidence: code path=src/inventory/labels.py\n"
                       "  evidence: test path=tests/test_labels.py"),
            std::string::npos)
      << tasks;
  // Every other byte of tasks.md is preserved.
  std::string base = git(repo, {"show", "main:tasks.md"});
  EXPECT_EQ(tasks.size(),
            base.size() + std::string("  evidence: code path=src/inventory/labels.py\n"
                                      "  evidence: test path=tests/test_labels.py\n")
                              .size());
  // The native verifier reads the hooks back from the result commit.
  auto v = run_tool({"verify", "tasks.md", "--rev", "smartspec/20250303_000000", "--json"}, repo);
  EXPECT_NE(v.out.find("\"task_id\": \"TSK-INV-012\""), std::string::npos) << v.out << v.err;
  auto pos = v.out.find("\"task_id\": \"TSK-INV-012\"");
  auto verified = v.out.find("\"verified\": true", pos);
  auto next = v.out.find("\"task_id\"", pos + 10);
  EXPECT_TRUE(verified != std::string::npos && (next == std::string::npos || verified < next))
      << v.out;
  // The user's tasks.md is untouched.
  EXPECT_EQ(read(fs::path(repo) / "tasks.md"), base + (base.back() == '\n' ? "" : "\n"));
}

TEST_F(RunVerify, EvidenceHooksAreIdempotentAcrossResume) {
  // Unit 1 adds the hooks; unit 2 fails (budget 1) and is fixed, then resumed.
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kTask12);
  write(pack / "symbol_issue.md",
        "# Symbol Issues\n\n## Task 1: TSK-INV-007 - Audit log retention\n\n**Path:** "
        "`src/inventory/missing.py`\n"
        "**Missing Symbol:** `RetentionPolicy`\n\n**Implementation:**\n```python\nclass "
        "RetentionPolicy:\n    days = 30\n```\n");
  auto first = run_pack({"--max-failures", "1"});
  ASSERT_EQ(first.exit_code, 3) << first.out << first.err;
  write(pack / "symbol_issue.md",
        "# Symbol Issues\n\n## Task 1: TSK-INV-007 - Audit log retention\n\n**Path:** "
        "`src/inventory/audit.py`\n"
        "**Missing Symbol:** `RetentionPolicy`\n\n**Implementation:**\n```python\nclass "
        "RetentionPolicy:\n    days = 30\n```\n");
  auto resumed = run_pack({"--resume", "--force"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  std::string tasks = at_tip("tasks.md");
  std::size_t count = 0;
  for (std::size_t p = tasks.find("path=src/inventory/labels.py"); p != std::string::npos;
       p = tasks.find("path=src/inventory/labels.py", p + 1))
    ++count;
  EXPECT_EQ(count, 1u) << tasks;
  // TSK-INV-007 already had evidence: its lines are untouched.
  EXPECT_NE(
      tasks.find(
          "- [ ] TSK-INV-007 Audit log retention\n  evidence: code path=src/inventory/audit.py "
          "symbol=RetentionPolicy\n  evidence: test path=tests/test_models.py\n"),
      std::string::npos)
      << tasks;
}

TEST_F(RunVerify, VerifyAfterEachRollsBackAnUnverifiedUnit) {
  // The content does not define the symbol tasks.md asks for.
  write(pack / "missing_code.md",
        "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
        "`src/inventory/reports.py`\n\n"
        "**Implementation Template:**\n```python\nclass Report:\n    pass\n\nVALUE = 1\n```\n");
  auto r = run_pack({"--verify-after-each"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("not verified after the unit: TSK-INV-005"), std::string::npos) << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20250303_000000"}),
            git(repo, {"rev-parse", "main"}));
  // The partial work is kept for inspection.
  EXPECT_NE(
      git(repo,
          {"show", "refs/smartspec/failed/20250303_000000/missing_code:src/inventory/reports.py"}),
      "");
}

TEST_F(RunVerify, AlreadyVerifiedTasksAreNotExecuted) {
  write(pack / "symbol_issue.md",
        "# Symbol Issues\n\n## Task 1: TSK-INV-001 - Item and Warehouse model\n\n**Path:** "
        "`src/inventory/models.py`\n\n"
        "**Implementation:**\n```python\nclass Warehouse:\n    pass\n```\n");
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("✔️ [1/1] TSK-INV-001: Item and Warehouse model — already done"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20250303_000000"}),
            git(repo, {"rev-parse", "main"}));
}

TEST_F(RunVerify, PythonSyntaxErrorFailsTheTaskWithItsLine) {
  write(pack / "missing_code.md",
        "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
        "`src/inventory/reports.py`\n\n"
        "**Implementation Template:**\n```python\nclass StockReport:\n    def lines(self):\n       "
        " return [x for x in\n```\n");
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Syntax error in generated code: src/inventory/reports.py:3"),
            std::string::npos)
      << r.out;
  std::string json =
      read(fs::path(repo) / ".spec" / "reports" /
           sh("ls .spec/reports | grep json", repo)
               .out.substr(0, sh("ls .spec/reports | grep json", repo).out.size() - 1));
  EXPECT_NE(json.find("\"line\": 3"), std::string::npos) << json;
}

TEST_F(RunVerify, VerifyCmdRunsOnTheWholeTreeAndFailsTheUnit) {
  write(pack / "missing_code.md",
        "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
        "`src/inventory/reports.py`\n\n"
        "**Implementation Template:**\n```python\nclass StockReport:\n    size = 0\n```\n");
  // The command sees the whole tree, not only the touched paths.
  auto bad = run_pack(
      {"--verify-cmd", "sh -c 'test -f src/inventory/models.py && exit 7'", "--run-id", "vc1"});
  EXPECT_EQ(bad.exit_code, 3) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("--verify-cmd exited with 7"), std::string::npos) << bad.out;
  auto good = run_pack({"--verify-cmd", "test -f src/inventory/reports.py", "--run-id", "vc2"});
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  // The full checkout is kept for reuse, locked with a reason naming the tool.
  EXPECT_EQ(read(scratch_path(repo) + ".git/description"),
            "smartspec-batch: reusable full checkout (remove with smartspec-batch clean)\n");
  EXPECT_TRUE(fs::exists(scratch_path(repo) + "/src/inventory/models.py"));
}

TEST_F(RunVerify, RenameIsARenameInGitHistory) {
  write(pack / "naming_issues.md",
        "# Naming Issues\n\n## Task: TSK-INV-006\nStock reservation service\n\nCode file: "
        "`src/inventory/stock_services.py`\n\n"
        "### Suggestions\n- Rename `src/inventory/stock_service.py` to "
        "`src/inventory/stock_services.py`\n");
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(git(repo, {"log", "--follow", "--format=%s", "--name-status", "-M",
                       "smartspec/20250303_000000", "--", "src/inventory/stock_services.py"})
                .find("R100\tsrc/inventory/stock_service.py\tsrc/inventory/stock_services.py"),
            git(repo, {"log", "--follow", "--format=%s", "--name-status", "-M",
                       "smartspec/20250303_000000", "--", "src/inventory/stock_services.py"})
                .find("R100"));
  EXPECT_NE(git(repo, {"diff", "-M", "--name-status", "main", "smartspec/20250303_000000"}), "");
  EXPECT_EQ(git(repo, {"diff", "-M", "--name-status", "main", "smartspec/20250303_000000"}),
            "R100\tsrc/inventory/stock_service.py\tsrc/inventory/stock_services.py");
}

TEST_F(RunVerify, SymlinkedLatestPackGivesTheRealRunId) {
  write(pack / "not_implemented.md", std::string("# Not Implemented\n\n") + kTask12);
  fs::create_directory_symlink(pack, dir.path() / "packs" / "latest");
  auto r = run_tool({"run", "--prompts-dir", (dir.path() / "packs" / "latest").string() + "/",
                     "--tasks", "tasks.md"},
                    repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(git(repo, {"rev-parse", "--verify", "-q", "smartspec/20250303_000000"}, false), "");
}

}  // namespace
}  // namespace smartspec::test
