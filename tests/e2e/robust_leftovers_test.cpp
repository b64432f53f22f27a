// What a killed agent or a --verify-cmd leaves in the kept full checkout never
// becomes part of a later unit: the checkout is compared with the checkpoint
// once per invocation and after --verify-cmd, and put back.
#include <gtest/gtest.h>

#include <csignal>

#include "e2e/hostile/robust_support.hpp"

namespace smartspec::test::robust {
namespace {

TEST(Leftovers, AKilledAgentsFilesAreNotCommittedByTheResume) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path pid_file = dir.path() / "agent.pid";
  const fs::path agent = dir.path() / "slow-agent.sh";
  // Writes a new file and edits a tracked one, then hangs until killed.
  write(agent, "#!/bin/sh\necho junk > leftover.txt\necho junk >> docs/usage.md\necho $$ > '" +
                   pid_file.string() + "'\nexec sleep 60\n");
  fs::permissions(agent, fs::perms::owner_all);
  const std::string log = (dir.path() / "run.log").string();
  {
    Child child({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--agent", agent.string(),
                 "--agent-per", "unit"},
                repo, log);
    ASSERT_TRUE(eventually([&] { return fs::exists(pid_file) && !read(pid_file).empty(); }))
        << read(log);
    child.signal(SIGKILL);
    child.wait();
  }
  ::kill(std::stoi(read(pid_file)), SIGKILL);
  const fs::path wt = scratch_path(repo);
  ASSERT_TRUE(fs::exists(wt / "leftover.txt"));

  // Resumed with an agent that changes nothing (another agent than the run's:
  // --force): nothing may be committed, and its tasks are "no change" (exit 1).
  auto resumed = run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--resume",
                           "--agent", "true", "--agent-per", "unit", "--force"},
                          repo, fast_env());
  EXPECT_EQ(resumed.exit_code, 1) << resumed.out << resumed.err;
  EXPECT_NE(resumed.err.find("scratch worktree: 2 path(s) put back to the checkpoint"),
            std::string::npos)
      << resumed.err;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId}), base);
  EXPECT_FALSE(fs::exists(wt / "leftover.txt"));
  EXPECT_EQ(git(wt.string(), {"status", "--porcelain"}), "");
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
}

TEST(Leftovers, WhatVerifyCmdWritesIsNotCommittedByTheNextAgentUnit) {
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const fs::path agent = dir.path() / "agent.sh";
  // One file per unit, named after it.
  write(agent, "#!/bin/sh\necho \"$SMARTSPEC_CATEGORY\" > \"unit-$SMARTSPEC_CATEGORY.txt\"\n");
  fs::permissions(agent, fs::perms::owner_all);
  auto r =
      run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--agent", agent.string(),
                "--agent-per", "unit", "--verify-cmd", "sh -c 'echo cache > verify-cache.txt'"},
               repo, fast_env());
  // The agent's files satisfy no task's evidence: applied, not verified (exit 1).
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string files = git(repo, {"ls-tree", "-r", "--name-only", "smartspec/" + kRunId});
  EXPECT_EQ(files.find("verify-cache.txt"), std::string::npos) << files;
  EXPECT_NE(files.find("unit-naming_issue.txt"), std::string::npos) << files;
  // Each unit commits exactly its own file.
  EXPECT_EQ(git(repo, {"diff", "--name-only", "smartspec/" + kRunId + "~1", "smartspec/" + kRunId}),
            "unit-naming_issue.txt");
  EXPECT_EQ(r.err.find("put back to the checkpoint"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace smartspec::test::robust
