// --run-hooks: the repository's pre-commit and commit-msg hooks run for each
// unit commit, in the scratch worktree, never in the user's.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace smartspec::test {
namespace {

const char* kPack =
    "# Missing Code\n\n## Task 1: TSK-INV-005 - Stock report\n\n**Path:** "
    "`src/inventory/reports.py`\n\n"
    "**Implementation Template:**\n```python\nclass StockReport:   \n    size = 0   \n```\n";

struct RunHooks : ::testing::Test {
  TempDir dir;
  std::string repo;
  fs::path pack;
  void SetUp() override {
    repo = make_inventory_repo(dir);
    pack = dir.path() / "packs" / "20250404_000000";
    write(pack / "missing_code.md", kPack);
  }
  void hook(const std::string& hooks_dir, const std::string& name, const std::string& body) {
    fs::path p = fs::path(repo) / hooks_dir / name;
    write(p, "#!/bin/sh\n" + body);
    fs::permissions(p, fs::perms::owner_all);
  }
  CmdResult run_pack() {
    return run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md", "--run-hooks"},
                    repo);
  }
};

TEST_F(RunHooks, ReformattingPreCommitAndCommitMsgShapeTheUnitCommit) {
  // pre-commit strips trailing spaces from the staged Python files (it sees
  // the unit's changes as staged); commit-msg adds a trailer.
  hook(".git/hooks", "pre-commit",
       "git diff --cached --name-only --diff-filter=AM -- '*.py' | while read f; do\n"
       "  sed -i 's/[ ]*$//' \"$f\"; git add \"$f\"; done\n"
       "pwd > \"$(git rev-parse --git-common-dir)/pre-commit.cwd\"\n");
  hook(".git/hooks", "commit-msg", "printf 'Reviewed-by: hook\\n' >> \"$1\"\n");
  std::string before = user_state(repo);
  auto r = run_pack();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(git(repo, {"show", "smartspec/20250404_000000:src/inventory/reports.py"}),
            "class StockReport:\n    size = 0");
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%(trailers:key=Reviewed-by,valueonly)",
                       "smartspec/20250404_000000"}),
            "hook\n");
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%(trailers:key=Smartspec-Unit,valueonly)",
                       "smartspec/20250404_000000"}),
            "missing_code\n");
  // The hook ran in the scratch worktree, and the user's state is untouched.
  // In the scratch repository: its git directory is the hook's, not the user's.
  EXPECT_EQ(read(scratch_path(repo) + ".git/pre-commit.cwd"), scratch_path(repo) + "\n");
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "pre-commit.cwd"));
  EXPECT_EQ(user_state(repo), before);
  EXPECT_EQ(run({"git", "-C", repo, "fsck", "--strict"}).exit_code, 0);
}

TEST_F(RunHooks, FailingHookRollsTheUnitBack) {
  hook(".git/hooks", "pre-commit", "echo 'lint: trailing whitespace' >&2\nexit 1\n");
  auto r = run_pack();
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("rolled back — pre-commit hook failed (exit 1): lint: trailing whitespace"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/20250404_000000"}),
            git(repo, {"rev-parse", "main"}));
}

TEST_F(RunHooks, HonoursCoreHooksPath) {
  hook(".githooks", "commit-msg", "printf 'Checked-by: hookspath\\n' >> \"$1\"\n");
  git(repo, {"config", "core.hooksPath", ".githooks"});
  auto r = run_pack();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(git(repo, {"log", "-1", "--format=%(trailers:key=Checked-by,valueonly)",
                       "smartspec/20250404_000000"}),
            "hookspath\n");
}

TEST_F(RunHooks, HooksDoNotRunWithoutTheFlag) {
  hook(".git/hooks", "pre-commit", "exit 1\n");
  auto r = run_tool({"run", "--prompts-dir", pack.string(), "--tasks", "tasks.md"}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace smartspec::test
