// The `verify` subcommand, end to end through the built binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_support.hpp"

namespace smartspec {
namespace {

namespace fs = std::filesystem;

TEST(VerifyCli, WorkingTreeHumanSummaryAndExitCode) {
  test::TempDir dir;
  std::string repo = test::make_inventory_repo(dir);
  auto r = test::run_tool({"verify", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out,
            "Verified 2/12 tasks (16%); 10 not verified; 1 marked [x] but not verified\n"
            "❌ TSK-INV-002 (naming_issue, priority 1): Pricing rules engine\n"
            "❌ TSK-INV-003 (naming_issue, priority 4): Supplier registry\n"
            "❌ TSK-INV-004 (naming_issue, priority 4): Unit price lookup\n"
            "❌ TSK-INV-005 (missing_code, priority 2): Stock report\n"
            "❌ TSK-INV-006 (naming_issue, priority 4): Stock reservation service\n"
            "❌ TSK-INV-007 (symbol_issue, priority 3): Audit log retention\n"
            "❌ TSK-INV-008 (content_issue, priority 3): Audit log writes JSON lines\n"
            "❌ TSK-INV-010 (not_implemented, priority 2): Configuration guide\n"
            "❌ TSK-INV-011 (not_implemented, priority 2): Dashboard mount point\n"
            "❌ TSK-INV-012 (not_implemented, priority 2): Task without evidence yet\n");
}

TEST(VerifyCli, VerifiedTasksCarryNoPriorityKey) {
  // The prompter reads task.get("priority", 4) and takes min() over a
  // category's priorities: a null for each verified task made it crash.
  test::TempDir dir;
  std::string repo = test::make_repo(
      dir, {{"tasks.md",
             "- [x] T1 One\n  evidence: code path=a.py\n- [ ] T2 Two\n  evidence: code path=a.py\n"
             "- [ ] T3 Three\n  evidence: code path=b.py\n"},
            {"a.py", "x = 1\n"}});
  auto r = test::run_tool({"verify", "tasks.md", "--json"}, repo);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out.find("\"priority\": null"), std::string::npos) << r.out;
  std::size_t t3 = r.out.find("\"task_id\": \"T3\"");
  ASSERT_NE(t3, std::string::npos);
  EXPECT_EQ(r.out.find("\"priority\""), r.out.find("\"priority\": 4,", t3)) << r.out;
}

TEST(VerifyCli, RootIsTheWorkTreeContainingTheCwd) {
  test::TempDir dir;
  std::string repo = test::make_inventory_repo(dir);
  auto r = test::run_tool({"verify", "../../tasks.md", "--json"}, repo + "/src/inventory");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("\"verified\": 2,"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"repo_root\": \"" + repo + "\""), std::string::npos) << r.out;
}

TEST(VerifyCli, AllVerifiedExitsZeroAndOutWritesBothFiles) {
  test::TempDir dir;
  std::string repo =
      test::make_repo(dir, {{"tasks.md", "- [x] T1 Done\n  evidence: code path=a.py symbol=A\n"},
                            {"a.py", "class A: pass\n"}});
  auto r = test::run_tool({"verify", "tasks.md", "--out", "reports"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::is_directory(fs::path(repo) / "reports"));
  int runs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(repo) / "reports")) {
    ++runs;
    EXPECT_TRUE(fs::is_regular_file(e.path() / "summary.json"));
    std::string md = test::read(e.path() / "report.md");
    EXPECT_NE(md.find("- T1: Done\n"), std::string::npos) << md;
    EXPECT_NE(r.out.find("Report saved to reports/" + e.path().filename().string() + "/report.md"),
              std::string::npos)
        << r.out;
  }
  EXPECT_EQ(runs, 1);
}

TEST(VerifyCli, RevReadsTheCommitTreeAndItsTasksMd) {
  test::TempDir dir;
  std::string repo =
      test::make_repo(dir, {{"tasks.md", "- [ ] T1 A\n  evidence: code path=a.py symbol=A\n"},
                            {"a.py", "class A: pass\n"}});
  // Working tree: a.py loses the symbol and tasks.md gains a failing task.
  test::write(fs::path(repo) / "a.py", "# gone\n");
  test::write(fs::path(repo) / "tasks.md",
              "- [ ] T1 A\n  evidence: code path=a.py symbol=A\n- [ ] T2 B\n"
              "  evidence: code path=b.py\n");
  auto wt = test::run_tool({"verify", "tasks.md"}, repo);
  EXPECT_EQ(wt.exit_code, 1);
  auto head = test::run_tool({"verify", "tasks.md", "--rev", "HEAD"}, repo);
  EXPECT_EQ(head.exit_code, 0) << head.err << head.out;
  EXPECT_EQ(head.out, "Verified 1/1 tasks (100%); 0 not verified; 0 marked [x] but not verified\n");
  auto json = test::run_tool({"verify", "tasks.md", "--rev", "HEAD", "--json"}, repo);
  EXPECT_NE(json.out.find("\"rev\": \"" + test::git(repo, {"rev-parse", "HEAD"}) + "\""),
            std::string::npos)
      << json.out;
}

TEST(VerifyCli, BadInputIsOneErrorLineAndExitTwo) {
  test::TempDir dir;
  std::string repo = test::make_repo(dir, {{"a.py", "x\n"}});
  auto missing = test::run_tool({"verify", "nope.md"}, repo);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "smartspec-batch: error: nope.md: no such file\n");
  EXPECT_EQ(missing.out, "");
  // Undecodable bytes are dropped, as by the Python tool (errors="ignore").
  test::write(fs::path(repo) / "bad.md", "- [ ] T1 ok\n- [ ] T2 \xff\n");
  auto bad = test::run_tool({"verify", "bad.md"}, repo);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "");
  EXPECT_EQ(bad.out.find("Verified 0/2 tasks"), 0u) << bad.out;
  auto rev = test::run_tool({"verify", "bad.md", "--rev", "no-such-rev"}, repo);
  EXPECT_EQ(rev.exit_code, 2);
  EXPECT_EQ(rev.err.rfind("smartspec-batch: error: ", 0), 0u) << rev.err;
  auto notin = test::run_tool({"verify", "a.md", "--rev", "HEAD"}, repo);
  EXPECT_EQ(notin.exit_code, 2);
  EXPECT_EQ(notin.err, "smartspec-batch: error: a.md: no such file in HEAD\n");
}

TEST(VerifyCli, RejectedEvidenceIsWarnedOnStderr) {
  test::TempDir dir;
  std::string repo = test::make_repo(
      dir, {{"tasks.md", "- [ ] T1 A\n  evidence: code path=a.py stray\n"}, {"a.py", "x\n"}});
  auto r = test::run_tool({"verify", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tasks.md:2: evidence rejected: stray tokens not allowed: ['stray']"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace smartspec
