// `land`, `abort` and `clean` on real repositories, checked with the real git.
#include <algorithm>

#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

TEST(OpsLand, FastForwardsTheCurrentBranchAndItsWorkingTree) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string base = rev(repo, "main");
  std::string tip = rev(repo, kBranch);
  // A local change elsewhere survives the land.
  write(fs::path(repo) / "web" / "index.html", "local edit\n");
  CmdResult r = run_tool({"land", kRun}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string paths = git(repo, {"diff", "--no-renames", "--name-only", base, tip});
  std::size_t n = std::count(paths.begin(), paths.end(), '\n') + 1;
  EXPECT_EQ(r.out, "main fast-forwarded to " + kBranch + ": " + base.substr(0, 7) + ".." +
                       tip.substr(0, 7) + ", " + std::to_string(n) + " paths updated\n");
  EXPECT_EQ(rev(repo, "HEAD"), tip);
  EXPECT_EQ(git(repo, {"symbolic-ref", "HEAD"}), "refs/heads/main");
  EXPECT_EQ(git(repo, {"status", "--porcelain"}), " M web/index.html");
  EXPECT_TRUE(fs::exists(fs::path(repo) / "src" / "inventory" / "reports.py"));
  EXPECT_TRUE(fs::exists(fs::path(repo) / "src" / "inventory" / "stock_services.py"));
  EXPECT_FALSE(fs::exists(fs::path(repo) / "src" / "inventory" / "stock_service.py"));
  EXPECT_EQ(read(fs::path(repo) / "src" / "inventory" / "audit.py"),
            git(repo, {"show", tip + ":src/inventory/audit.py"}) + "\n");
}

TEST(OpsLand, RefusesWhenTheBranchMoved) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string base = rev(repo, "main");
  git(repo, {"commit", "-q", "--allow-empty", "-m", "moved on"});
  std::string user = user_state(repo);
  CmdResult r = run_tool({"land", kRun}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: main is at " + rev(repo, "main").substr(0, 7) +
                       ", not at the run's base " + base.substr(0, 7) + ": merge " + kBranch +
                       " instead (git merge " + kBranch + ")\n");
  EXPECT_EQ(user_state(repo), user);
}

TEST(OpsLand, LandingAgainSaysAlreadyLanded) {
  TempDir dir;
  std::string repo = finished_run(dir);
  std::string tip = rev(repo, kBranch);
  ASSERT_EQ(run_tool({"land", kRun}, repo).exit_code, 0);
  std::string user = user_state(repo);
  std::string refs = all_refs(repo);
  CmdResult r = run_tool({"land", kRun}, repo);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "main is already at " + kBranch + " (" + tip.substr(0, 7) +
                       "): already landed, nothing changed\n");
  EXPECT_EQ(user_state(repo), user);
  EXPECT_EQ(all_refs(repo), refs);
  // Once the branch moved on from the run's tip, landing is refused again.
  git(repo, {"commit", "-q", "--allow-empty", "-m", "moved on"});
  CmdResult moved = run_tool({"land", kRun}, repo);
  EXPECT_EQ(moved.exit_code, 2);
  EXPECT_NE(moved.err.find("not at the run's base"), std::string::npos) << moved.err;
}

TEST(OpsLand, RefusesWhenALocalChangeTouchesARunPath) {
  TempDir dir;
  std::string repo = finished_run(dir);
  fs::path root = repo;
  struct Case {
    std::string setup;  // shell command
    std::string reason;
    std::string undo;
  };
  std::vector<Case> cases{
      {"echo x >> src/inventory/audit.py", "src/inventory/audit.py: unstaged change",
       "git checkout -- src/inventory/audit.py"},
      {"echo x >> src/inventory/audit.py && git add src/inventory/audit.py",
       "src/inventory/audit.py: staged change", "git reset -q --hard"},
      {"echo x > src/inventory/reports.py", "src/inventory/reports.py: untracked file in the way",
       "rm src/inventory/reports.py"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(sh(c.setup, repo).exit_code, 0);
    std::string user = user_state(repo);
    CmdResult r = run_tool({"land", kRun}, repo);
    EXPECT_EQ(r.exit_code, 2) << c.setup;
    EXPECT_EQ(r.err, "smartspec-batch: error: local changes touch paths the run changed (" +
                         c.reason + "): commit or stash them first\n");
    EXPECT_EQ(user_state(repo), user) << c.setup;
    ASSERT_EQ(sh(c.undo, repo).exit_code, 0);
  }
}

TEST(OpsLand, RefusesOnDetachedHead) {
  TempDir dir;
  std::string repo = finished_run(dir);
  git(repo, {"checkout", "-q", "--detach"});
  std::string user = user_state(repo);
  CmdResult r = run_tool({"land", kRun}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "smartspec-batch: error: HEAD is detached: land fast-forwards the current branch; "
            "check out the branch to land on first (git switch <branch>)\n");
  EXPECT_EQ(user_state(repo), user);
}

TEST(OpsLand, RefusesAStoppedRun) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  CmdResult r = run_tool({"land", kRun}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "smartspec-batch: error: run " + kRun +
                       " is not finished (stopped at missing_code): resume it first\n");
}

TEST(OpsAbort, RemovesRefsAndWorktreeKeepsTheBranch) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  std::string tip = rev(repo, kBranch);
  ASSERT_TRUE(fs::exists(scratch_path(repo) + ".git"));
  std::string user = user_state(repo);
  CmdResult r = run_tool({"abort", kRun}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "run " + kRun + " aborted: 3 refs deleted, scratch worktree removed\n" +
                       "branch " + kBranch + " kept at " + tip.substr(0, 7) +
                       " (delete it with --delete-branch)\n");
  EXPECT_EQ(git(repo, {"for-each-ref", "--format=%(refname)", "refs/smartspec/"}), "");
  EXPECT_EQ(rev(repo, kBranch), tip);
  EXPECT_FALSE(fs::exists(scratch_path(repo)));
  EXPECT_FALSE(fs::exists(scratch_path(repo) + ".git"));
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock"));
  git(repo, {"fsck", "--strict", "--no-progress"});
  EXPECT_EQ(user_state(repo), user);
  // The run is gone: a new run of the same pack is refused only by the branch name.
  CmdResult status = run_tool({"status"}, repo);
  EXPECT_NE(status.out.find(kRun + "  aborted"), std::string::npos) << status.out;

  CmdResult del = run_tool({"abort", kRun, "--delete-branch"}, repo);
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(git(repo, {"for-each-ref", "refs/heads/smartspec/"}), "");
  CmdResult gone = run_tool({"abort", kRun}, repo);
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_EQ(gone.err, "smartspec-batch: error: no run " + kRun +
                          " in this repository (see `smartspec-batch status`)\n");
}

TEST(OpsClean, RemovesTheKeptWorktree) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  ASSERT_TRUE(fs::exists(scratch_path(repo)));
  CmdResult r = run_tool({"clean"}, repo);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "removed scratch worktree " + scratch_path(repo) + "\n");
  EXPECT_FALSE(fs::exists(scratch_path(repo)));
  EXPECT_FALSE(fs::exists(scratch_path(repo) + ".git"));
  CmdResult again = run_tool({"clean"}, repo);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, "no scratch worktree to remove\n");
  // The stopped run still resumes: the worktree is recreated on demand.
  CmdResult resume = run_pack(repo, (dir.path() / "badpacks" / kRun).string(),
                              {"--resume", "--max-failures", "1"});
  EXPECT_EQ(resume.exit_code, 3) << resume.err;
}

}  // namespace
}  // namespace smartspec::test
