// Interrupt (issue 9): SIGINT or SIGTERM while a unit runs rolls the unit back,
// releases the lock, exits 3, and the run resumes to the uninterrupted result.
#include <gtest/gtest.h>

#include "e2e/hostile/robust_support.hpp"

namespace smartspec::test::robust {
namespace {

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, RollsBackTheUnitReleasesTheLockExits3AndResumes) {
  const int sig = GetParam();
  TempDir dir;
  std::string repo = dirty_inventory_repo(dir);
  std::string pack = seven_unit_pack(dir);
  const std::string before = user_state(repo);
  const std::string base = git(repo, {"rev-parse", "HEAD"});
  const fs::path marker = dir.path() / "verify-started";
  const std::string log = (dir.path() / "run.log").string();

  // The first unit's --verify-cmd announces itself, then keeps the unit busy:
  // the signal arrives while the unit is in progress.
  const std::string verify = "sh -c 'touch " + marker.string() + "; sleep 2'";
  Child child({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--verify-cmd", verify}, repo,
              log);
  ASSERT_TRUE(eventually([&] { return fs::exists(marker); })) << read(log);
  child.signal(sig);
  EXPECT_EQ(child.wait(), 3) << read(log);
  const std::string out = read(log);
  EXPECT_NE(out.find("unit critical: rolled back — interrupted"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 3: stopped early, resumable"), std::string::npos) << out;

  // Rolled back: no unit commit anywhere; the branch and checkpoint stay at the base.
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId}), base);
  EXPECT_EQ(git(repo, {"rev-parse", "refs/smartspec/checkpoints/" + kRunId}), base);
  EXPECT_EQ(user_state(repo), before);
  std::string why;
  EXPECT_TRUE(fsck_clean(repo, &why)) << why;
  // The lock is released: no lock file, and a new command takes it without a
  // "took over" warning.
  EXPECT_FALSE(fs::exists(fs::path(repo) / ".git" / "smartspec" / "lock"));

  auto resumed =
      run_tool({"run", "--prompts-dir", pack, "--tasks", "tasks.md", "--resume"}, repo, fast_env());
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(resumed.err.find("took over the lock"), std::string::npos) << resumed.err;

  // The same result as an uninterrupted run in another repository.
  TempDir dir2;
  std::string repo2 = dirty_inventory_repo(dir2);
  auto clean = run_tool({"run", "--prompts-dir", seven_unit_pack(dir2), "--tasks", "tasks.md"},
                        repo2, fast_env());
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_EQ(git(repo, {"rev-parse", "smartspec/" + kRunId + "^{tree}"}),
            git(repo2, {"rev-parse", "smartspec/" + kRunId + "^{tree}"}));
  EXPECT_EQ(git(repo, {"log", "--format=%B", base + "..smartspec/" + kRunId}),
            git(repo2, {"log", "--format=%B", base + "..smartspec/" + kRunId}));
  EXPECT_EQ(user_state(repo), before);
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return std::string(i.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

}  // namespace
}  // namespace smartspec::test::robust
