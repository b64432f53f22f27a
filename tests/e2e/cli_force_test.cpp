// --force only where it forces something: `run --resume` (a changed pack or
// option) and `hook install` (a tracked or global hooks directory). Anywhere
// else it is bad usage: exit 2, one line, nothing changed.
#include "e2e/ops_test_util.hpp"

namespace smartspec::test {
namespace {

using namespace ops;

TEST(CliForce, RunWithoutResumeIsRefused) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  std::string refs = all_refs(repo);
  std::string user = user_state(repo);
  CmdResult r = run_pack(repo, pack_dir(), {"--force"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "smartspec-batch: error: --force goes with --resume (it lets a resume use a changed "
            "pack or option); without --resume there is nothing to force\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(all_refs(repo), refs);
  EXPECT_EQ(user_state(repo), user);
  // The default command too.
  CmdResult d = run_tool({"--prompts-dir", pack_dir(), "--tasks", "tasks.md", "--force"}, repo);
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_EQ(d.err, r.err);
  // With --dry-run it forces nothing either.
  CmdResult p = run_pack(repo, pack_dir(), {"--dry-run", "--resume", "--force"});
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_EQ(p.err,
            "smartspec-batch: error: --force does nothing with --dry-run (a plan changes "
            "nothing)\n");
  EXPECT_EQ(all_refs(repo), refs);
}

TEST(CliForce, ResumeWithForceStillChangesAnOption) {
  TempDir dir;
  std::string repo = stopped_run(dir);
  std::string pack = (dir.path() / "badpacks" / kRun).string();
  // Without --force a changed option is refused; with it the resume runs.
  CmdResult refused = run_pack(repo, pack, {"--resume", "--max-failures", "5"});
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  CmdResult forced = run_pack(repo, pack, {"--resume", "--force", "--max-failures", "5"});
  EXPECT_EQ(forced.exit_code, 1) << forced.err;
}

TEST(CliForce, HookUninstallIsRefused) {
  TempDir dir;
  std::string repo = make_inventory_repo(dir);
  ASSERT_EQ(run_tool({"hook", "install"}, repo).exit_code, 0);
  std::string user = user_state(repo);
  CmdResult r = run_tool({"hook", "uninstall", "--force"}, repo);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "smartspec-batch: error: --force goes with `hook install` (it allows a tracked or "
            "global hooks directory); `hook uninstall` takes no --force\n");
  EXPECT_TRUE(fs::exists(fs::path(repo) / ".git" / "hooks" / "pre-push"));
  EXPECT_EQ(user_state(repo), user);
}

}  // namespace
}  // namespace smartspec::test
